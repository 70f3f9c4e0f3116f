"""Short answers in another language told by how common their words are there (``audit/lang_lexicon.py``):
caught where fastText alone is unsure, not on names, titles, borrowed phrases, code or lists."""

from __future__ import annotations

import pytest

from ift_data.audit.lang_detect import Detector
from ift_data.audit.lang_lexicon import LEXICON_LANGUAGES, evidence, lexicon_language, lexicon_says
from ift_data.audit.language import MismatchRule

# Written for this test: short answers to English prompts, each in one of the lexicon's languages.
SWAPS = [
    ("What should I pack for the beach?", "Crema solare e un cappello.", "it"),
    ("How do I keep my plants healthy?", "Geef ze elke week een beetje water.", "nl"),
    ("How long should I boil an egg?", "Unos ocho minutos para que quede duro.", "es"),
    ("Where did the author grow up?", "Il a grandi dans un petit village.", "fr"),
    ("What is a good breakfast?", "Pão com manteiga e um café.", "pt"),
    ("What is the best time to visit?", "Im Frühling, wenn es noch nicht so heiß ist.", "de"),
    ("Which fruits are rich in vitamin C?", "Jeruk, jambu biji, pepaya, stroberi dan kiwi.", "id"),
    ("How many legs does a spider have?", "Pająk ma osiem nóg.", "pl"),
    # a decimal comma lists nothing, and a capitalized first word and a name do not make Title Case
    ("How far is the station from the museum?", "Ungefähr 2,5 Kilometer zu Fuß durch den Stadtpark.", "de"),
    ("What is the boiling point of water?", "Aproximadamente 100 grados Celsius al nivel del mar.", "es"),
]

# English answers with borrowed words, names, titles, phrases asked for, code and lists: no mismatch.
NOT_SWAPS = [
    ("How should pasta be cooked?", "The pasta should be served al dente."),
    ("Who composed the Moonlight Sonata?", "Ludwig van Beethoven"),
    ("What does 'gracias' mean?", "Gracias means thank you."),
    ("Name some types of sushi.", "nigiri, makizushi, chirashi, inari, sashimi"),
    ("What do you say before a meal?", "Bon appétit!"),
    ("What's the film's title?", "Der Himmel über Berlin"),
    ("What did Caesar say after the battle of Zela?", "Veni, vidi, vici."),
    ("What is the figure of speech in 'as brave as a lion'?", "Simile."),
    ("Write a function that doubles a number.", "def doble(numero):\n    return numero * 2"),
    ("Where can I read more?", "https://www.exemple.fr/le-guide-des-voyageurs-pour-les-petits-budgets"),
    ("How do you greet someone in Indonesia?", "selamat pagi"),
    ("What should I order at a Vietnamese restaurant?", "pho bo and banh mi"),
    ("List some architects.", "1. Le Corbusier\n2. Ludwig Mies van der Rohe\n3. Oscar Niemeyer"),
    ("Who are the members of ABBA?", "Agnetha Fältskog, Björn Ulvaeus, Benny Andersson and Anni-Frid Lyngstad"),
    ("Give me some yoga poses.", "1. tadasana\n2. vrksasana\n3. adho mukha svanasana"),
    # an English sentence around borrowed names: its English function words say so
    ("What should I order at the bakery?", "A pain au chocolat and a café au lait, if they have them."),
    ("What should I try in Lima?", "Try the pollo a la brasa with papas fritas."),
]


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


@pytest.mark.parametrize(("prompt", "answer", "lang"), SWAPS)
def test_short_answers_are_read_by_their_words(detector, prompt, answer, lang):
    assert lexicon_says(answer, prompt, lang)
    found = detector(answer)
    # a text the detector left und gets its language from the words; a detected one keeps the detector's
    assert lexicon_language(answer, found, prompt) == (lang if found.lang == "und" else None)
    assert MismatchRule().judge(prompt, "", detector(prompt), None, found, {"latin": "en"}, answer)


@pytest.mark.parametrize(("prompt", "answer"), NOT_SWAPS)
def test_names_titles_phrases_code_and_lists_are_left_alone(detector, prompt, answer):
    assert lexicon_language(answer, detector(answer), prompt) is None
    assert not any(lexicon_says(answer, prompt, lang) for lang in LEXICON_LANGUAGES)
    assert not MismatchRule().judge(prompt, "", detector(prompt), None, detector(answer), {"latin": "en"}, answer)


def test_the_lexicon_catches_what_the_detector_alone_does_not(detector, monkeypatch):
    """"Crema solare e un cappello." splits fastText between Italian (0.43) and Spanish (0.37): no other rule
    reaches it; the lexicon makes it a mismatch, and the prompt asking for Italian still allows it."""
    import ift_data.audit.language as language

    prompt, answer = SWAPS[0][:2]
    rule = MismatchRule()
    assert rule.judge(prompt, "", detector(prompt), None, detector(answer), {"latin": "en"}, answer)
    monkeypatch.setattr(language, "lexicon_language", lambda *args: None)
    assert not rule.judge(prompt, "", detector(prompt), None, detector(answer), {"latin": "en"}, answer)
    monkeypatch.undo()
    asks = "What should I pack for the beach? Answer in Italian."
    assert not rule.judge(asks, "", detector(asks), None, detector(answer), {"latin": "en"}, answer)


def test_a_short_detected_answer_needs_the_lexicon_and_an_english_prompt(detector, monkeypatch):
    """"Il a grandi dans un petit village." is French to fastText (0.96) but too short to settle alone: its
    words settle it against an English prompt, and say nothing against a German one."""
    import ift_data.audit.language as language

    prompt, answer = SWAPS[3][:2]
    rule, found = MismatchRule(), detector(answer)
    assert found.lang == "fr"
    assert rule.judge(prompt, "", detector(prompt), None, found, {"latin": "en"}, answer)
    german = "Wo ist der Autor aufgewachsen?"
    assert lexicon_says(answer, german, "fr")  # the words are French rather than English ...
    monkeypatch.setattr(language, "_function_words_say", lambda *args: False)
    assert not rule.judge(german, "", detector(german), None, found, {"latin": "en"}, answer)  # ... not German
    monkeypatch.setattr(language, "lexicon_says", lambda *args: False)
    assert not rule.judge(prompt, "", detector(prompt), None, found, {"latin": "en"}, answer)


def test_evidence_is_clipped_per_word_and_ignores_words_no_dictionary_has():
    one_word = evidence(["genoeg"], "nl")
    assert 0 < one_word <= 5.0
    assert evidence(["genoeg", "xqzvvw"], "nl") == one_word  # a word neither dictionary has adds nothing
    assert evidence(["the", "and", "with"], "nl") < 0  # English words count against the language


def test_the_prompts_words_are_the_prompts(detector):
    """Words the prompt holds are not the answer's evidence: an answer that repeats Dutch words the prompt
    quotes is not read as Dutch by them."""
    answer = "Geef ze elke week een beetje water."
    prompt = "Is 'geef ze elke week een beetje water' good advice? Reply in one line."
    assert lexicon_language(answer, detector(answer), prompt) is None

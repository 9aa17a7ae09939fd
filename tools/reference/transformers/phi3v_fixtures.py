#!/usr/bin/env python3
"""Reference pixels, prompt ids, logits and greedy continuations for Phi-3-vision / Phi-3.5-vision, from Microsoft's
remote code, for a tiny random Phi3V model.

Phi3VForCausalLM is not part of transformers: microsoft/Phi-3-vision-128k-instruct and microsoft/Phi-3.5-vision-
instruct load it with trust_remote_code from their Hugging Face repositories. Pass the folder holding
image_processing_phi3_v.py, processing_phi3_v.py, image_embedding_phi3_v.py and modeling_phi3_v.py as --remote-code
(tests/fixtures/transformers/README.md says where the copies used came from).

What runs as published: the image processor (HD transform, torchvision resize and pad, ToTensor, Normalize, bicubic
global view, crop order), the processor's prompt expansion (_convert_images_texts_to_inputs), Phi3ImageEmbedding
(CLIP features from hidden_states[layer_idx], 2x2 merge, sub_GN/glb_GN separators, img_projection, the splice into
the token embeddings) and modeling_phi3_v's Phi3DecoderLayer / Phi3RMSNorm (eager attention). Phi3VModel.forward is
not called (it needs transformers' mask helpers); this script composes what it does for one unpadded sequence:
embeddings from vision_embed_tokens, a causal float mask of 0 / float32 min, positions 0.., the decoder layers, the
final norm, lm_head.

The CLIP tower is shrunk by changing image_embedding_phi3_v.py's hard-coded CLIP_VIT_LARGE_PATCH14_336_CONFIG width,
depth and MLP size (hidden_size 1024 -> 128, num_attention_heads 16 -> 2, num_hidden_layers 24 -> 3,
intermediate_size 4096 -> 256) and the one assert that hard-codes the width (C == 1024 -> C == 128). The 336-pixel
crops, 14-pixel patches (24 x 24 + 1 positions), quick GELU and layer_idx -2 are as released.

When transformers is not importable (this machine: PyPI unreachable, no Debian package), phi3v_shim/ stands in for the
parts those files import: the image-processing helpers are the trivial wrappers transformers has, CLIPVisionModel is
a plain-torch transcription of transformers 4.x modeling_clip (eager), and the modeling imports are inert
placeholders. With transformers installed the real classes are used.

Weights come from the seeded xorshift generator (tools/reference/llamacpp), rounded to F16, evaluated in float32.

Usage: python3 tools/reference/transformers/phi3v_fixtures.py --remote-code DIR [--images DIR]
(--images: scikit-image's data folder, default the installed skimage.data package: Debian python3-skimage.)
"""
import argparse
import importlib
import json
import math
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "llamacpp"))

import torch  # noqa: E402
from PIL import Image  # noqa: E402

try:
    import transformers  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(HERE, "phi3v_shim"))

from xorshift import Rng  # noqa: E402

import safetensors_file  # noqa: E402
import tiny_tokenizer  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "../../../tests/fixtures/transformers/phi3v"))
VOCAB = 384
GENERATED = 8
CLIP_WIDTH, CLIP_HEADS, CLIP_LAYERS, CLIP_MLP = 128, 2, 3, 256
PIXEL_STRIDE = 8  # pixel fixtures keep every 8th row and column of each crop's planes, plus full per-plane sums


def load_remote(code):
    """The four remote files as one package, the CLIP constant shrunk, with a configuration module (the config is
    given attribute by attribute here)."""
    package_dir = os.path.join(tempfile.mkdtemp(), "phi3v_remote")
    os.makedirs(package_dir)
    for name in ("image_processing_phi3_v.py", "processing_phi3_v.py", "modeling_phi3_v.py"):
        shutil.copy(os.path.join(code, name), package_dir)
    with open(os.path.join(code, "image_embedding_phi3_v.py"), encoding="utf-8") as f:
        source = f.read()
    edits = [("hidden_size=1024,", f"hidden_size={CLIP_WIDTH},"), ("intermediate_size=4096,", f"intermediate_size={CLIP_MLP},"),
             ("num_attention_heads=16,", f"num_attention_heads={CLIP_HEADS},"),
             ("num_hidden_layers=24,", f"num_hidden_layers={CLIP_LAYERS},"), ("C == 1024", f"C == {CLIP_WIDTH}")]
    for old, new in edits:
        assert source.count(old) == 1, f"expected one '{old}' in image_embedding_phi3_v.py"
        source = source.replace(old, new)
    with open(os.path.join(package_dir, "image_embedding_phi3_v.py"), "w", encoding="utf-8") as f:
        f.write(source)
    with open(os.path.join(package_dir, "configuration_phi3_v.py"), "w") as f:
        f.write("from types import SimpleNamespace as Phi3VConfig  # noqa: F401\n")
    open(os.path.join(package_dir, "__init__.py"), "w").close()
    sys.path.insert(0, os.path.dirname(package_dir))
    sys.path.insert(0, package_dir)  # processing_phi3_v.py imports image_processing_phi3_v as a top-level module
    return (importlib.import_module("phi3v_remote.image_processing_phi3_v"),
            importlib.import_module("phi3v_remote.processing_phi3_v"),
            importlib.import_module("phi3v_remote.image_embedding_phi3_v"),
            importlib.import_module("phi3v_remote.modeling_phi3_v"))


class TinyTokenizer:
    """The fixtures' 384-token vocabulary (tiny_tokenizer.py: no merges, so one id per character of the normalised
    text, bytes for the rest; no BOS). Only what the processor calls: tokenizer(text).input_ids."""

    def __init__(self):
        from gguf_model import spm_tokens
        self.ids = {t: i for i, t in enumerate(spm_tokens(VOCAB))}

    def __call__(self, text):
        ids = []
        for ch in "\u2581" + text.replace(" ", "\u2581"):
            if ch in self.ids:
                ids.append(self.ids[ch])
            else:
                ids.extend(self.ids[f"<0x{b:02X}>"] for b in ch.encode("utf-8"))
        return type("Encoding", (), {"input_ids": ids})()


def fill(model, seed):
    """Norm weights near 1, biases small, matrices fan-in scaled, embeddings 0.3 U(-1, 1); the HD separators are
    U(-1, 1) so that a misplaced one shows."""
    rng = Rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            n = p.numel()
            fan_in = p[0].numel() if p.dim() > 1 else n
            if ("norm" in name) and name.endswith("weight"):
                values = [1.0 + 0.2 * rng.symmetric() for _ in range(n)]
            elif name.endswith("bias"):
                values = [0.1 * rng.symmetric() for _ in range(n)]
            elif name.endswith(("glb_GN", "sub_GN")):
                values = [rng.symmetric() for _ in range(n)]
            elif "embed_tokens" in name or "class_embedding" in name or "position_embedding" in name:
                values = [0.3 * rng.symmetric() for _ in range(n)]
            else:
                a = math.sqrt(3.0 / fan_in)
                values = [a * rng.symmetric() for _ in range(n)]
            p.copy_(torch.tensor(values, dtype=torch.float64).reshape(p.shape))
            p.copy_(p.to(torch.float16).float())


class TinyPhi3V(torch.nn.Module):
    """What Phi3VForCausalLM computes for one unpadded sequence, from the remote code's own modules."""

    def __init__(self, modeling, config):
        super().__init__()
        self.config = config
        self.embed_tokens = torch.nn.Embedding(config.vocab_size, config.hidden_size, config.pad_token_id)
        self.vision_embed_tokens = modeling.Phi3ImageEmbedding(config, wte=self.embed_tokens, **config.embd_layer)
        self.layers = torch.nn.ModuleList([modeling.Phi3DecoderLayer(config, i) for i in range(config.num_hidden_layers)])
        self.norm = modeling.Phi3RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.lm_head = torch.nn.Linear(config.hidden_size, config.vocab_size, bias=False)

    def state_dict_hf(self):
        """Tensor names as in the released checkpoints (Phi3VForCausalLM: model.* and lm_head.weight)."""
        return {(k if k.startswith("lm_head") else "model." + k): v for k, v in self.state_dict().items()}

    def forward(self, ids, pixel_values=None, image_sizes=None):
        ids = torch.tensor([ids])
        if pixel_values is None:
            h = self.embed_tokens(ids)
        else:
            h = self.vision_embed_tokens(ids.clone(), pixel_values=pixel_values, image_sizes=image_sizes)
        n = h.shape[1]
        mask = torch.full((n, n), torch.finfo(torch.float32).min).triu(1)[None, None]
        positions = torch.arange(n)[None]
        for layer in self.layers:
            h = layer(h, attention_mask=mask, position_ids=positions)[0]
        return self.lm_head(self.norm(h))[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--remote-code", required=True, help="folder with the Phi-3-vision remote-code files")
    parser.add_argument("--images", help="scikit-image's data folder (default: the installed skimage.data)")
    args = parser.parse_args()
    if args.images is None:
        import skimage.data
        args.images = os.path.dirname(skimage.data.__file__)
    torch.set_grad_enabled(False)
    image_processing, processing, embedding, modeling = load_remote(args.remote_code)
    os.makedirs(os.path.join(OUT, "images"), exist_ok=True)
    manifest = dict(torch=torch.__version__, transformers=getattr(sys.modules["transformers"], "__version__", "phi3v_shim"),
                    pixelStride=PIXEL_STRIDE, pixels=[], prompts=[], cases=[])

    # Photographs from scikit-image's data (CC0 / public domain, see the README): chelsea.png and rocket.jpg as
    # shipped, a 600x120 strip of coffee.png (aspect 5:1, so the HD image is mostly white padding) and a 170x300
    # portrait crop of chelsea.png (taller than wide: the processor transposes it around the resize).
    shutil.copy(os.path.join(args.images, "chelsea.png"), os.path.join(OUT, "images", "chelsea.png"))
    shutil.copy(os.path.join(args.images, "rocket.jpg"), os.path.join(OUT, "images", "rocket.jpg"))
    Image.open(os.path.join(args.images, "coffee.png")).convert("RGB").crop((0, 140, 600, 260)).save(
        os.path.join(OUT, "images", "coffee-strip.png"))
    Image.open(os.path.join(args.images, "chelsea.png")).convert("RGB").crop((140, 0, 310, 300)).save(
        os.path.join(OUT, "images", "chelsea-portrait.png"))

    def image(name):
        return Image.open(os.path.join(OUT, "images", name))

    def processor(crops):
        return image_processing.Phi3VImageProcessor(num_crops=crops)

    # Pixels: every image at Phi-3.5-vision's 4 crops, two at Phi-3-vision's 16.
    for name, crops in (("chelsea.png", 4), ("chelsea.png", 16), ("rocket.jpg", 4), ("coffee-strip.png", 4),
                        ("coffee-strip.png", 16), ("chelsea-portrait.png", 4)):
        out = processor(crops).preprocess(image(name), return_tensors="pt")
        pixels = out["pixel_values"][0]
        h, w = out["image_sizes"][0]
        used = pixels[: 1 + (h // 336) * (w // 336)]
        case = f"{os.path.splitext(name)[0]}-{crops}"
        used[:, :, ::PIXEL_STRIDE, ::PIXEL_STRIDE].contiguous().numpy().astype("<f4").tofile(
            os.path.join(OUT, "pixels-" + case + ".f32"))
        manifest["pixels"].append(dict(
            name=case, image=name, numCrops=crops, shape=list(pixels.shape), imageSize=[int(h), int(w)],
            numImageTokens=int(out["num_img_tokens"][0]),
            paddingCropsZero=bool((pixels[len(used):] == 0).all()),
            sums=used.double().sum(dim=(2, 3)).tolist(), squares=(used.double() ** 2).sum(dim=(2, 3)).tolist()))

    tokenizer = TinyTokenizer()
    phi3v_processor = processing.Phi3VProcessor.__new__(processing.Phi3VProcessor)
    phi3v_processor.tokenizer = tokenizer

    def expand(text, images, crops):
        pre = processor(crops).preprocess(images, return_tensors="pt")
        out = phi3v_processor._convert_images_texts_to_inputs(pre, text, return_tensors="pt")
        return out["input_ids"][0].tolist(), out["pixel_values"], torch.tensor(out["image_sizes"])

    # The tiny model: Phi-3-mini's decoder (heads of 32 here), the released embd_layer / img_processor settings.
    config = dict(
        architectures=["Phi3VForCausalLM"], model_type="phi3_v", vocab_size=VOCAB, hidden_size=128,
        intermediate_size=256, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
        max_position_embeddings=4096, original_max_position_embeddings=4096, rms_norm_eps=1e-5, rope_theta=10000.0,
        rope_scaling=None, sliding_window=None, hidden_act="silu", bos_token_id=1, eos_token_id=2, pad_token_id=0,
        tie_word_embeddings=False, attention_dropout=0.0, resid_pdrop=0.0, embd_pdrop=0.0, torch_dtype="float16",
        embd_layer=dict(embedding_cls="image", hd_transform_order="sub_glb", projection_cls="mlp",
                        use_hd_transform=True, with_learnable_separator=True),
        img_processor=dict(image_dim_out=CLIP_WIDTH, model_name="openai/clip-vit-large-patch14-336",
                           name="clip_vision_model", num_img_tokens=144))
    model_config = type("Phi3VConfig", (), dict(config, _attn_implementation="eager"))()
    model = TinyPhi3V(modeling, model_config).eval()
    fill(model, 31)
    folder = os.path.join(OUT, "phi3v-tiny")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
        json.dump(dict(image_processor_type="Phi3VImageProcessor", processor_class="Phi3VProcessor", num_crops=4,
                       num_img_tokens=144, image_mean=[0.48145466, 0.4578275, 0.40821073],
                       image_std=[0.26862954, 0.26130258, 0.27577711]), f, indent=1)
    safetensors_file.write(os.path.join(folder, "model.safetensors"),
                           {k: v.to(torch.float16) for k, v in model.state_dict_hf().items()})
    tiny_tokenizer.write(folder, VOCAB)

    def kept(ids):
        """Text positions, every 97th image position, the first and last of each image span."""
        keep = {i for i, t in enumerate(ids) if t >= 0} | set(range(0, len(ids), 97))
        keep |= {i for i in range(len(ids)) if ids[i] < 0 and (i == 0 or ids[i - 1] != ids[i] or i + 1 == len(ids) or ids[i + 1] != ids[i])}
        return sorted(keep)

    cases = [
        ("phi3.5v-one", "What is in <|image_1|> this picture?", ["chelsea.png"], 4),
        ("phi3.5v-two", "Compare <|image_1|> with <|image_2|> now.", ["chelsea.png", "chelsea-portrait.png"], 4),
        ("phi3v-padded", "Read <|image_1|> it.", ["coffee-strip.png"], 16),
    ]
    for case, text, names, crops in cases:
        ids, pixel_values, image_sizes = expand(text, [image(n).convert("RGB") for n in names], crops)
        manifest["prompts"].append(dict(name=case, text=text, images=names, numCrops=crops, ids=ids))
        logits = model(ids, pixel_values, image_sizes)
        positions = kept(ids)
        logits[positions].contiguous().numpy().astype("<f4").tofile(os.path.join(OUT, case + ".f32"))
        entry = dict(name=case, positions=positions)
        if case == "phi3.5v-one":
            sequence, tokens, margins = list(ids), [], []
            for _ in range(GENERATED):  # every step one causal forward over the whole sequence (no cache)
                top = torch.topk(model(sequence, pixel_values, image_sizes)[-1], 2)
                tokens.append(int(top.indices[0]))
                margins.append(float(top.values[0] - top.values[1]))
                sequence.append(tokens[-1])
            entry.update(generated=tokens, margins=margins)
        manifest["cases"].append(entry)
        print(case, len(ids), "tokens")

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()

"""A stand-in for the few parts of transformers that Phi-3-vision's remote code imports, used only where transformers
itself is not installed (see phi3v_fixtures.py). The image processing helpers are the trivial wrappers transformers
has; CLIPVisionModel is a plain-torch transcription of transformers' modeling_clip (eager attention)."""
from types import SimpleNamespace


class PretrainedConfig(SimpleNamespace):
    pass


class CLIPVisionConfig(SimpleNamespace):
    pass


class AutoImageProcessor:
    @staticmethod
    def register(*args, **kwargs):
        pass


from .models.clip.modeling_clip import CLIPVisionModel  # noqa: E402,F401

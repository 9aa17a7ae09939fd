import logging as _logging


class TensorType:
    PYTORCH = "pt"
    NUMPY = "np"


def is_vision_available():
    return True


class logging:  # noqa: N801 - a module in transformers
    @staticmethod
    def get_logger(name):
        return _logging.getLogger(name)


def _keep(*args, **kwargs):
    return lambda f: f


add_code_sample_docstrings = add_start_docstrings = add_start_docstrings_to_model_forward = replace_return_docstrings = _keep


def is_flash_attn_greater_or_equal_2_10():
    return False


def _warning_once(self, *args, **kwargs):
    pass


_logging.Logger.warning_once = _warning_once

class ProcessorMixin:
    def __init__(self, *args, **kwargs):
        pass

class BatchFeature(dict):
    def __init__(self, data=None, tensor_type=None):
        super().__init__(data or {})


class BaseImageProcessor:
    def __init__(self, **kwargs):
        pass

    def __call__(self, images, **kwargs):
        return self.preprocess(images, **kwargs)

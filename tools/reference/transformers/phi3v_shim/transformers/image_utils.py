import PIL.Image

OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
ImageInput = object


def make_list_of_images(images):
    return images if isinstance(images, (list, tuple)) else [images]


def valid_images(images):
    return all(isinstance(image, PIL.Image.Image) for image in images)

def convert_to_rgb(image):
    """transformers.image_transforms.convert_to_rgb for PIL images."""
    return image if image.mode == "RGB" else image.convert("RGB")

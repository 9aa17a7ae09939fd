using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PhiSharp.Models.Phi3Vision;

/// <summary>Upper bounds on an image accepted for decoding, checked before any pixel is decoded.</summary>
public sealed record ImageLimits
{
    /// <summary>Bytes of the encoded file (20 MiB).</summary>
    public long MaxBytes { get; init; } = 20L << 20;
    /// <summary>Width × height declared in the header (40 megapixels: 120 MB of RGB once decoded).</summary>
    public long MaxPixels { get; init; } = 40_000_000;
    public static ImageLimits Default { get; } = new();
}

/// <summary>An image that cannot be used: unknown format, corrupt data, or over the limits. The message says which.</summary>
public sealed class ImageInputException(string message, Exception? inner = null) : FormatException(message, inner)
{
    /// <summary>The image is over <see cref="ImageLimits"/> (a server answers 413 rather than 400).</summary>
    public bool OverLimit { get; init; }
}

/// <summary>
/// JPEG, PNG, WebP, GIF and BMP to 8-bit RGB through SixLabors.ImageSharp 2.1 (Apache-2.0). The header is read first
/// (<c>Image.Identify</c>) and an image over <see cref="ImageLimits"/> is refused before its pixels are decoded, so a
/// small file declaring a huge size (a decompression bomb) costs nothing. Alpha is dropped, as PIL's
/// <c>convert("RGB")</c> does; grey and palette images become RGB. ImageSharp decodes a cut-off PNG or JPEG into
/// a partly grey picture without complaint, so those two formats must end as the format says they do.
/// </summary>
public static class ImageDecoder
{
    /// <summary>A PNG ends with its IEND chunk; a JPEG's last scan (SOS, FF DA) is followed by EOI (FF D9). Inside
    /// entropy-coded data a 0xFF byte is always followed by 0x00 or a restart marker, so FF D9 is the real end.</summary>
    static void RefuseTruncated(byte[] bytes, string format, string name)
    {
        bool complete = format switch
        {
            "PNG" => bytes.AsSpan().LastIndexOf("IEND"u8) is int end && end >= 0 && end + 8 <= bytes.Length,
            "JPEG" => bytes.AsSpan().LastIndexOf(new byte[] { 0xFF, 0xD9 }) > bytes.AsSpan().LastIndexOf(new byte[] { 0xFF, 0xDA }),
            _ => true,
        };
        if (!complete) throw new ImageInputException($"{name} is cut off: the {format} data ends before its end marker.");
    }

    public static RgbImage Decode(string path, ImageLimits? limits = null)
    {
        limits ??= ImageLimits.Default;
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"No image file at '{path}'.", path);
        if (info.Length > limits.MaxBytes)
            throw new ImageInputException($"'{path}' is {info.Length} bytes; images are limited to {limits.MaxBytes} bytes.") { OverLimit = true };
        return Decode(File.ReadAllBytes(path), limits, Path.GetFileName(path));
    }

    /// <param name="name">How errors name the image (a file name, "image 2").</param>
    public static RgbImage Decode(byte[] bytes, ImageLimits? limits = null, string name = "the image")
    {
        limits ??= ImageLimits.Default;
        if (bytes.Length > limits.MaxBytes)
            throw new ImageInputException($"{name} is {bytes.Length} bytes; images are limited to {limits.MaxBytes} bytes.") { OverLimit = true };
        try
        {
            var header = Image.Identify(bytes, out var format)
                ?? throw new ImageInputException($"{name} is not an image in a supported format (JPEG, PNG, WebP, GIF, BMP).");
            long pixels = (long)header.Width * header.Height;
            if (header.Width < 1 || header.Height < 1)
                throw new ImageInputException($"{name} declares an empty size {header.Width}×{header.Height}.");
            if (pixels > limits.MaxPixels)
                throw new ImageInputException($"{name} declares {header.Width}×{header.Height} pixels; images are limited to {limits.MaxPixels} pixels.") { OverLimit = true };
            RefuseTruncated(bytes, format.Name, name);
            using var image = Image.Load<Rgb24>(bytes);
            var rgb = new byte[image.Width * image.Height * 3];
            image.CopyPixelDataTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Rgb24>(rgb.AsSpan()));
            return new RgbImage(image.Width, image.Height, rgb);
        }
        catch (ImageInputException) { throw; }
        catch (Exception e) when (e is SixLabors.ImageSharp.ImageFormatException or UnknownImageFormatException or InvalidImageContentException
                                       or InvalidDataException or ArgumentException)
        {
            throw new ImageInputException($"{name} could not be decoded: {e.Message}", e);
        }
    }
}

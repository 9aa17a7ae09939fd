namespace PhiSharp.Models.Phi3Vision;

/// <summary>An 8-bit RGB image, row-major, three bytes a pixel: what a decoded file becomes before preprocessing.</summary>
public sealed class RgbImage
{
    public int Width { get; }
    public int Height { get; }
    /// <summary>Width × height × 3 bytes: R, G, B of each pixel, rows top to bottom.</summary>
    public byte[] Pixels { get; }

    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (pixels.Length != (long)width * height * 3)
            throw new ArgumentException($"{pixels.Length} bytes are not {width}×{height} RGB pixels.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>The image mirrored across its main diagonal (PIL's Image.TRANSPOSE): rows become columns.</summary>
    public RgbImage Transposed()
    {
        var result = new byte[Pixels.Length];
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                int from = (y * Width + x) * 3, to = (x * Height + y) * 3;
                result[to] = Pixels[from];
                result[to + 1] = Pixels[from + 1];
                result[to + 2] = Pixels[from + 2];
            }
        return new RgbImage(Height, Width, result);
    }
}

namespace PhiSharp.Models.Phi3Vision;

/// <summary>
/// Pillow's <c>Image.resize(size, Image.BILINEAR)</c> on 8-bit RGB, bit for bit (libImaging/Resample.c): a triangle
/// filter widened by the downscale factor (so shrinking averages, antialiased), coefficients normalised per output
/// pixel and rounded to 22-bit fixed point, a horizontal pass into an 8-bit image, then a vertical pass. The
/// Phi-3-vision processor resizes with it (torchvision's resize of a PIL image calls it).
/// </summary>
internal static class PillowBilinear
{
    const int PrecisionBits = 32 - 8 - 2;

    public static RgbImage Resize(RgbImage image, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (width == image.Width && height == image.Height) return new RgbImage(width, height, (byte[])image.Pixels.Clone());

        var (vBounds, vCoefficients, vSize) = Coefficients(image.Height, height);
        // Only the source rows the vertical pass reads go through the horizontal pass (Pillow's ybox_first/last).
        int firstRow = vBounds[0], lastRow = vBounds[2 * height - 2] + vBounds[2 * height - 1];
        var current = image;
        if (width != image.Width)
        {
            var (hBounds, hCoefficients, hSize) = Coefficients(image.Width, width);
            current = Horizontal(image, firstRow, lastRow - firstRow, width, hBounds, hCoefficients, hSize);
            for (int i = 0; i < height; i++) vBounds[2 * i] -= firstRow;
        }
        if (height != image.Height) current = Vertical(current, height, vBounds, vCoefficients, vSize);
        return current;
    }

    /// <summary>Per output pixel the first source index, the count, and fixed-point weights (precompute_coeffs and
    /// normalize_coeffs_8bpc).</summary>
    static (int[] Bounds, int[] Coefficients, int KernelSize) Coefficients(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize, filterScale = Math.Max(scale, 1.0);
        double support = 1.0 * filterScale;   // the triangle's support is 1
        int kernelSize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var coefficients = new int[outSize * kernelSize];
        var weights = new double[kernelSize];
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale, sum = 0, ss = 1.0 / filterScale;
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            for (int x = 0; x < xmax; x++)
            {
                double w = Math.Max(1.0 - Math.Abs((x + xmin - center + 0.5) * ss), 0.0);
                weights[x] = w;
                sum += w;
            }
            for (int x = 0; x < xmax; x++)
            {
                double w = sum != 0.0 ? weights[x] / sum : weights[x];
                coefficients[xx * kernelSize + x] = w < 0 ? (int)(-0.5 + w * (1 << PrecisionBits)) : (int)(0.5 + w * (1 << PrecisionBits));
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = xmax;
        }
        return (bounds, coefficients, kernelSize);
    }

    static RgbImage Horizontal(RgbImage image, int firstRow, int rows, int width, int[] bounds, int[] k, int kernelSize)
    {
        var src = image.Pixels;
        var dst = new byte[width * rows * 3];
        for (int y = 0; y < rows; y++)
        {
            int rowStart = (y + firstRow) * image.Width * 3;
            for (int xx = 0; xx < width; xx++)
            {
                int xmin = bounds[2 * xx], xmax = bounds[2 * xx + 1], kk = xx * kernelSize;
                int r = 1 << (PrecisionBits - 1), g = r, b = r;
                for (int x = 0; x < xmax; x++)
                {
                    int p = rowStart + (x + xmin) * 3, w = k[kk + x];
                    r += src[p] * w;
                    g += src[p + 1] * w;
                    b += src[p + 2] * w;
                }
                int o = (y * width + xx) * 3;
                dst[o] = Clip(r);
                dst[o + 1] = Clip(g);
                dst[o + 2] = Clip(b);
            }
        }
        return new RgbImage(width, rows, dst);
    }

    static RgbImage Vertical(RgbImage image, int height, int[] bounds, int[] k, int kernelSize)
    {
        var src = image.Pixels;
        int width = image.Width;
        var dst = new byte[width * height * 3];
        for (int yy = 0; yy < height; yy++)
        {
            int ymin = bounds[2 * yy], ymax = bounds[2 * yy + 1], kk = yy * kernelSize;
            for (int xx = 0; xx < width; xx++)
            {
                int r = 1 << (PrecisionBits - 1), g = r, b = r;
                for (int y = 0; y < ymax; y++)
                {
                    int p = ((y + ymin) * width + xx) * 3, w = k[kk + y];
                    r += src[p] * w;
                    g += src[p + 1] * w;
                    b += src[p + 2] * w;
                }
                int o = (yy * width + xx) * 3;
                dst[o] = Clip(r);
                dst[o + 1] = Clip(g);
                dst[o + 2] = Clip(b);
            }
        }
        return new RgbImage(width, height, dst);
    }

    static byte Clip(int value) => value >= (1 << PrecisionBits << 8) ? (byte)255 : value <= 0 ? (byte)0 : (byte)(value >> PrecisionBits);
}

namespace PhiSharp.Models.Phi3Vision;

/// <summary>
/// One image as the Phi-3-vision model sees it: a global 336×336 view first, then the crops of the HD image row by
/// row, each 3 × 336 × 336 floats (channel planes, CLIP-normalised).
/// </summary>
public sealed class Phi3VisionPixels
{
    public required float[] Crops { get; init; }
    /// <summary>Crops down and across the padded HD image (image_sizes = [336·rows, 336·columns]).</summary>
    public required int CropRows { get; init; }
    public required int CropColumns { get; init; }
    public int CropCount => 1 + CropRows * CropColumns;
    /// <summary>Placeholder positions the image takes in the prompt: (rows·columns + 1)·144 + 1 + (rows + 1)·12.</summary>
    public int TokenCount => Phi3VisionImageProcessor.TokenCount(CropRows, CropColumns);
    public ReadOnlySpan<float> Crop(int index) => Crops.AsSpan(index * Phi3VisionImageProcessor.CropFloats, Phi3VisionImageProcessor.CropFloats);
}

/// <summary>
/// The Phi-3-vision image processor (image_processing_phi3_v.py, <c>Phi3VImageProcessor</c>): the HD transform
/// (transpose a portrait image, bilinear resize to the widest grid of 336-pixel crops that holds at most
/// <c>num_crops</c>, pad the height with white to a multiple of 336, centred, transpose back), ToTensor and CLIP's
/// mean/std in float32, a bicubic 336×336 global view of the normalised HD image, then the crops in row order.
/// </summary>
public sealed class Phi3VisionImageProcessor(int maxCrops)
{
    public const int CropSize = 336;
    internal const int CropFloats = 3 * CropSize * CropSize;

    // OPENAI_CLIP_MEAN / OPENAI_CLIP_STD (transformers.image_utils), as float32 like torchvision's Normalize.
    static readonly float[] Mean = [0.48145466f, 0.4578275f, 0.40821073f];
    static readonly float[] Std = [0.26862954f, 0.26130258f, 0.27577711f];

    public int MaxCrops { get; } = maxCrops >= 1 ? maxCrops : throw new ArgumentOutOfRangeException(nameof(maxCrops), maxCrops, "at least one crop");

    public static int TokenCount(int cropRows, int cropColumns) => (cropRows * cropColumns + 1) * 144 + 1 + (cropRows + 1) * 12;

    /// <summary>The padded HD size (width, height) an image of this size becomes (calc_hd_transform_size).</summary>
    public (int Width, int Height) HdSize(int width, int height)
    {
        bool transposed = width < height;
        if (transposed) (width, height) = (height, width);
        var (resizedWidth, resizedHeight) = ResizedSize(width, height);
        int padded = PaddedHeight(resizedHeight);
        return transposed ? (padded, resizedWidth) : (resizedWidth, padded);
    }

    /// <summary>HD_transform's scale: the most 336-wide columns s with s · ⌈s / ratio⌉ ≤ num_crops.</summary>
    (int Width, int Height) ResizedSize(int width, int height)
    {
        double ratio = (double)width / height;
        int scale = 1;
        while (scale * Math.Ceiling(scale / ratio) <= MaxCrops) scale++;
        scale--;
        int newWidth = scale * CropSize;
        return (newWidth, (int)(newWidth / ratio));
    }

    static int PaddedHeight(int height) => (int)Math.Ceiling(height / (double)CropSize) * CropSize;

    public Phi3VisionPixels Process(RgbImage image)
    {
        var hd = HdTransform(image);
        int rows = hd.Height / CropSize, columns = hd.Width / CropSize;
        var normalized = Normalize(hd);
        var crops = new float[(1 + rows * columns) * CropFloats];
        GlobalView(normalized, hd.Width, hd.Height, crops.AsSpan(0, CropFloats));
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                var crop = crops.AsSpan((1 + r * columns + c) * CropFloats, CropFloats);
                for (int channel = 0; channel < 3; channel++)
                    for (int y = 0; y < CropSize; y++)
                        normalized.AsSpan(channel * hd.Width * hd.Height + (r * CropSize + y) * hd.Width + c * CropSize, CropSize)
                            .CopyTo(crop.Slice((channel * CropSize + y) * CropSize, CropSize));
            }
        return new Phi3VisionPixels { Crops = crops, CropRows = rows, CropColumns = columns };
    }

    /// <summary>HD_transform: resize and white padding, on the image transposed when it is taller than wide (the
    /// order of Pillow's two rounding passes depends on it).</summary>
    internal RgbImage HdTransform(RgbImage image)
    {
        bool transposed = image.Width < image.Height;
        var landscape = transposed ? image.Transposed() : image;
        var (width, height) = ResizedSize(landscape.Width, landscape.Height);
        var resized = PillowBilinear.Resize(landscape, width, height);
        int padded = PaddedHeight(height), top = (padded - height) / 2;
        var pixels = new byte[width * padded * 3];
        Array.Fill(pixels, (byte)255);
        resized.Pixels.CopyTo(pixels, top * width * 3);
        var hd = new RgbImage(width, padded, pixels);
        return transposed ? hd.Transposed() : hd;
    }

    /// <summary>ToTensor (÷ 255) then (x − mean) / std, in float32, as channel planes.</summary>
    static float[] Normalize(RgbImage image)
    {
        int plane = image.Width * image.Height;
        var result = new float[3 * plane];
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
                result[c * plane + i] = (image.Pixels[3 * i + c] / 255f - Mean[c]) / Std[c];
        return result;
    }

    /// <summary>torch.nn.functional.interpolate(mode='bicubic', align_corners=False) to 336×336: Keys' cubic with
    /// a = −0.75 over 4×4 source pixels, indices clamped at the edges, rows weighted outside columns.</summary>
    static void GlobalView(float[] planes, int width, int height, Span<float> output)
    {
        var (xIndex, xWeight) = CubicTaps(width, CropSize);
        var (yIndex, yWeight) = CubicTaps(height, CropSize);
        for (int c = 0; c < 3; c++)
        {
            var plane = planes.AsSpan(c * width * height, width * height);
            for (int y = 0; y < CropSize; y++)
                for (int x = 0; x < CropSize; x++)
                {
                    float sum = 0;
                    for (int i = 0; i < 4; i++)
                    {
                        var row = plane.Slice(yIndex[4 * y + i] * width, width);
                        float inner = row[xIndex[4 * x]] * xWeight[4 * x];
                        for (int j = 1; j < 4; j++) inner += row[xIndex[4 * x + j]] * xWeight[4 * x + j];
                        sum = i == 0 ? inner * yWeight[4 * y] : sum + inner * yWeight[4 * y + i];
                    }
                    output[(c * CropSize + y) * CropSize + x] = sum;
                }
        }
    }

    static (int[] Index, float[] Weight) CubicTaps(int inSize, int outSize)
    {
        const float a = -0.75f;
        static float Near(float x, float a) => ((a + 2) * x - (a + 3)) * x * x + 1;
        static float Far(float x, float a) => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        float scale = (float)inSize / outSize;
        var index = new int[4 * outSize];
        var weight = new float[4 * outSize];
        for (int i = 0; i < outSize; i++)
        {
            float real = scale * (i + 0.5f) - 0.5f;
            int first = (int)MathF.Floor(real);
            float t = real - first;
            weight[4 * i] = Far(t + 1, a);
            weight[4 * i + 1] = Near(t, a);
            weight[4 * i + 2] = Near(1 - t, a);
            weight[4 * i + 3] = Far(1 - t + 1, a);
            for (int j = 0; j < 4; j++) index[4 * i + j] = Math.Clamp(first - 1 + j, 0, inSize - 1);
        }
        return (index, weight);
    }
}

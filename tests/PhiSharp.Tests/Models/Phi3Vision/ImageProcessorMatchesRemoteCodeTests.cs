using PhiSharp.Models.Phi3Vision;
using Xunit;
using Xunit.Abstractions;

namespace PhiSharp.Tests.Models.Phi3Vision;

/// <summary>
/// Phi3VisionImageProcessor computes the pixel_values of the remote code's Phi3VImageProcessor (Pillow 9.4,
/// torchvision 0.14, torch 1.13) on photographs: the same HD size and crop grid, and the same values.
/// </summary>
public sealed class ImageProcessorMatchesRemoteCodeTests(ITestOutputHelper output)
{
    const int Crop = Phi3VisionImageProcessor.CropSize;

    public static TheoryData<string> PngCases => new(Phi3VisionFixtures.PixelCases.Where(n => !Phi3VisionFixtures.GetPixels(n).Image.EndsWith(".jpg")));

    /// <summary>PNG: decoding is lossless and the resize is Pillow's fixed-point arithmetic, so the crops are the same
    /// float32 values, bit for bit (measured: 0). The global view is torch's bicubic in float32, whose summation
    /// order (vectorised, possibly fused multiply-adds) we do not follow: within 2e-6, a few float32 ulps at |x| ≈ 2
    /// (measured: ≤ 4.8e-7).</summary>
    [Theory]
    [MemberData(nameof(PngCases))]
    public void Png_pixels_equal_the_processors(string name)
    {
        var (crops, global) = Compare(name);
        Assert.True(crops.Max == 0, $"crops differ by up to {crops.Max:G3}");
        Assert.True(global.Max <= 2e-6, $"the global view differs by up to {global.Max:G3}");
    }

    /// <summary>JPEG: ImageSharp and libjpeg-turbo (under Pillow) round the inverse DCT and the chroma upsampling
    /// differently, so decoded pixels differ by a level of 255 here and there. One level is 1 / 255 / std ≈ 0.015 in
    /// normalised units. Stated tolerance: max |Δ| ≤ 0.05 (three levels) and mean |Δ| ≤ 0.002 (one pixel in eight
    /// off by a level), crops and global view alike; measured on rocket.jpg: max 0.03, mean 4e-4.</summary>
    [Fact]
    public void Jpeg_pixels_are_within_the_decoder_tolerance()
    {
        var (crops, global) = Compare("rocket-4");
        Assert.True(crops.Mean <= 0.002 && global.Mean <= 0.002, $"mean |Δ| {crops.Mean:G3} (crops), {global.Mean:G3} (global)");
        Assert.True(crops.Max <= 0.05 && global.Max <= 0.05, $"max |Δ| {crops.Max:G3} (crops), {global.Max:G3} (global)");
    }

    [Theory]
    [MemberData(nameof(PngCases))]
    public void Per_plane_sums_agree_over_every_pixel(string name)
    {
        var expected = Phi3VisionFixtures.GetPixels(name);
        var pixels = Process(expected);
        for (int c = 0; c < pixels.CropCount; c++)
            for (int channel = 0; channel < 3; channel++)
            {
                var plane = pixels.Crop(c).Slice(channel * Crop * Crop, Crop * Crop);
                double sum = 0, squares = 0;
                foreach (float v in plane) { sum += v; squares += (double)v * v; }
                // Every pixel, not just the sampled ones. The crops are exact; the global view's 112,896 values a plane
                // differ by float32 ulps (≤ 5e-7), which add up to a few hundredths in the sums: 0.05 and 1e-6 relative.
                Assert.True(Math.Abs(sum - expected.Sums[c][channel]) <= 0.05, $"crop {c} channel {channel}: sum {sum} vs {expected.Sums[c][channel]}");
                Assert.True(Math.Abs(squares - expected.Squares[c][channel]) <= 1e-6 * expected.Squares[c][channel] + 0.05,
                    $"crop {c} channel {channel}: sum of squares {squares} vs {expected.Squares[c][channel]}");
            }
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void Hd_size_crop_grid_and_token_count_match(string name)
    {
        var expected = Phi3VisionFixtures.GetPixels(name);
        var image = ImageDecoder.Decode(Phi3VisionFixtures.ImagePath(expected.Image));
        var processor = new Phi3VisionImageProcessor(expected.NumCrops);
        var pixels = processor.Process(image);
        Assert.Equal(expected.ImageSize, new[] { pixels.CropRows * Crop, pixels.CropColumns * Crop });
        Assert.Equal((expected.ImageSize[1], expected.ImageSize[0]), processor.HdSize(image.Width, image.Height));
        Assert.Equal(expected.NumImageTokens, pixels.TokenCount);
        Assert.True(pixels.CropCount <= expected.Shape[0]);
        Assert.True(expected.PaddingCropsZero, "the processor pads with all-zero crops, which the model never reads");
    }

    public static TheoryData<string> AllCases => new(Phi3VisionFixtures.PixelCases);

    static Phi3VisionPixels Process(Phi3VisionFixtures.Pixels expected) =>
        new Phi3VisionImageProcessor(expected.NumCrops).Process(ImageDecoder.Decode(Phi3VisionFixtures.ImagePath(expected.Image)));

    ((double Max, double Mean) Crops, (double Max, double Mean) Global) Compare(string name)
    {
        var expected = Phi3VisionFixtures.GetPixels(name);
        var sampled = Phi3VisionFixtures.SampledPixels(name);
        var pixels = Process(expected);
        int stride = Phi3VisionFixtures.PixelStride, side = (Crop + stride - 1) / stride;
        Assert.Equal(sampled.Length, pixels.CropCount * 3 * side * side);
        double cropMax = 0, cropSum = 0, globalMax = 0, globalSum = 0;
        int i = 0;
        for (int c = 0; c < pixels.CropCount; c++)
        {
            var crop = pixels.Crop(c);
            for (int channel = 0; channel < 3; channel++)
                for (int y = 0; y < Crop; y += stride)
                    for (int x = 0; x < Crop; x += stride)
                    {
                        double d = Math.Abs(crop[(channel * Crop + y) * Crop + x] - sampled[i++]);
                        if (c == 0) { globalMax = Math.Max(globalMax, d); globalSum += d; }
                        else { cropMax = Math.Max(cropMax, d); cropSum += d; }
                    }
        }
        int perCrop = 3 * side * side;
        var crops = (cropMax, cropSum / Math.Max(1, (pixels.CropCount - 1) * perCrop));
        var global = (globalMax, globalSum / perCrop);
        output.WriteLine($"{name}: crops max {crops.Item1:G3} mean {crops.Item2:G3}; global max {global.Item1:G3} mean {global.Item2:G3}");
        return (crops, global);
    }
}

using System.Buffers.Binary;
using System.Text;
using PhiSharp.Models.Phi3Vision;
using Xunit;

namespace PhiSharp.Tests.Models.Phi3Vision;

/// <summary>Images that cannot be used get an <see cref="ImageInputException"/> that says why; oversized ones are
/// refused from the header, before any pixel is decoded.</summary>
public sealed class ImageDecoderTests
{
    [Fact]
    public void A_png_declaring_a_huge_size_is_refused_from_its_header()
    {
        var bomb = PngHeader(100_000, 100_000);   // 10^10 pixels declared in a 45-byte file
        var e = Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(bomb, name: "bomb.png"));
        Assert.Contains("100000×100000", e.Message);
        Assert.Contains("limited to", e.Message);
    }

    [Fact]
    public void Limits_are_the_callers()
    {
        var bytes = File.ReadAllBytes(Phi3VisionFixtures.ImagePath("chelsea.png"));
        var pixels = Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(bytes, new ImageLimits { MaxPixels = 100_000 }));
        Assert.Contains("451×300", pixels.Message);
        var size = Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(bytes, new ImageLimits { MaxBytes = 1000 }));
        Assert.Contains("limited to 1000 bytes", size.Message);
    }

    [Fact]
    public void Bytes_that_are_no_image_are_named_so()
    {
        var e = Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(Encoding.UTF8.GetBytes("{\"not\": \"an image\"}"), name: "upload"));
        Assert.Contains("upload is not an image in a supported format", e.Message);
    }

    [Fact]
    public void A_truncated_png_is_an_error_not_a_partial_image()
    {
        var bytes = File.ReadAllBytes(Phi3VisionFixtures.ImagePath("chelsea.png"));
        var e = Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(bytes[..(bytes.Length / 2)], name: "half.png"));
        Assert.Contains("half.png is cut off", e.Message);
    }

    [Fact]
    public void A_jpeg_cut_in_its_scan_is_an_error_not_a_partial_image()
    {
        var bytes = File.ReadAllBytes(Phi3VisionFixtures.ImagePath("rocket.jpg"));
        var e = Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(bytes[..(bytes.Length * 2 / 3)], name: "cut.jpg"));
        Assert.Contains("cut.jpg is cut off", e.Message);
    }

    [Fact]
    public void A_jpeg_cut_in_its_header_is_an_error()
    {
        var bytes = File.ReadAllBytes(Phi3VisionFixtures.ImagePath("rocket.jpg"));
        Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(bytes[..200], name: "cut.jpg"));
    }

    [Fact]
    public void A_missing_file_is_a_file_not_found()
    {
        Assert.Throws<FileNotFoundException>(() => ImageDecoder.Decode(Path.Combine(Path.GetTempPath(), "no-such-image.png")));
    }

    /// <summary>A PNG signature and an IHDR chunk (8-bit RGB) declaring <paramref name="width"/> × <paramref name="height"/>, with no data.</summary>
    static byte[] PngHeader(int width, int height)
    {
        var chunk = new byte[4 + 13];
        "IHDR"u8.CopyTo(chunk);
        BinaryPrimitives.WriteInt32BigEndian(chunk.AsSpan(4), width);
        BinaryPrimitives.WriteInt32BigEndian(chunk.AsSpan(8), height);
        chunk[12] = 8; chunk[13] = 2;   // bit depth 8, colour type RGB; compression, filter, interlace 0
        var png = new List<byte> { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 };
        png.AddRange(chunk);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(chunk));
        png.AddRange(crc);
        return png.ToArray();
    }

    static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}

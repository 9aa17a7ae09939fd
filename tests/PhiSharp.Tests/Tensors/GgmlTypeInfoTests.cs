using PhiSharp.Tensors;

namespace PhiSharp.Tests.Tensors;

public class GgmlTypeInfoTests
{
    [Theory]
    [InlineData(GgmlType.F32, 1, 4)]
    [InlineData(GgmlType.F16, 1, 2)]
    [InlineData(GgmlType.BF16, 1, 2)]
    [InlineData(GgmlType.Q4_0, 32, 18)]
    [InlineData(GgmlType.Q4_1, 32, 20)]
    [InlineData(GgmlType.Q5_0, 32, 22)]
    [InlineData(GgmlType.Q5_1, 32, 24)]
    [InlineData(GgmlType.Q8_0, 32, 34)]
    [InlineData(GgmlType.Q8_1, 32, 36)]
    [InlineData(GgmlType.Q2_K, 256, 84)]
    [InlineData(GgmlType.Q3_K, 256, 110)]
    [InlineData(GgmlType.Q4_K, 256, 144)]
    [InlineData(GgmlType.Q5_K, 256, 176)]
    [InlineData(GgmlType.Q6_K, 256, 210)]
    [InlineData(GgmlType.Q8_K, 256, 292)]
    public void Block_geometry_matches_ggml(GgmlType type, int blockSize, int blockBytes)
    {
        Assert.Equal(blockSize, GgmlTypeInfo.BlockSize(type));
        Assert.Equal(blockBytes, GgmlTypeInfo.BlockBytes(type));
        Assert.Equal(3L * blockBytes, GgmlTypeInfo.RowByteSize(type, 3L * blockSize));
    }

    [Fact]
    public void RowByteSize_rejects_a_row_that_is_not_whole_blocks() =>
        Assert.Throws<ArgumentException>(() => GgmlTypeInfo.RowByteSize(GgmlType.Q4_K, 300));

    [Fact]
    public void Names_are_ggml_names() => Assert.Equal("q4_k", GgmlTypeInfo.Name(GgmlType.Q4_K));

    [Fact]
    public void Unknown_type_numbers_are_not_known() => Assert.False(GgmlTypeInfo.IsKnown((GgmlType)16));

    [Fact]
    public void Dequantize_rejects_a_source_of_the_wrong_size() =>
        Assert.Throws<ArgumentException>(() => Dequantize.Row(GgmlType.Q8_0, new byte[33], new float[32]));

    [Fact]
    public void Q8_0_round_trip_stays_within_half_a_quantization_step()
    {
        var source = Enumerable.Range(0, 64).Select(i => MathF.Sin(i * 0.37f) * 3).ToArray();
        var encoded = new byte[GgmlTypeInfo.RowByteSize(GgmlType.Q8_0, 64)];
        var decoded = new float[64];
        Quantize.Row(GgmlType.Q8_0, source, encoded);
        Dequantize.Row(GgmlType.Q8_0, encoded, decoded);
        for (int i = 0; i < 64; i++) Assert.InRange(decoded[i] - source[i], -3f / 127, 3f / 127);
    }
}

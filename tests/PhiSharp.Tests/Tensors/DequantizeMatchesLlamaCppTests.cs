using PhiSharp.Tensors;

namespace PhiSharp.Tests.Tensors;

/// <summary>
/// PhiSharp's dequantization compared with llama.cpp's own output (fixtures made by
/// tools/reference/llamacpp/dequant_fixtures.py). Tolerance: none — every float must have the same bits, since
/// both sides do the same float32 operations in the same order, without fused multiply-add.
/// </summary>
public class DequantizeMatchesLlamaCppTests
{
    public static TheoryData<GgmlType> FixtureTypes => new()
    {
        GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_K,
    };

    public static TheoryData<GgmlType> QuantizableTypes => new() { GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K };

    [Theory]
    [MemberData(nameof(FixtureTypes))]
    public void Dequantized_rows_equal_llama_cpp_bit_for_bit(GgmlType type)
    {
        byte[] encoded = DequantFixtures.Encoded(type);
        float[] expected = DequantFixtures.LlamaCppDequantized(type);
        int rowBytes = (int)GgmlTypeInfo.RowByteSize(type, DequantFixtures.RowLength);
        Assert.Equal(DequantFixtures.Rows * rowBytes, encoded.Length);

        var actual = new float[DequantFixtures.RowLength];
        for (int row = 0; row < DequantFixtures.Rows; row++)
        {
            Dequantize.Row(type, encoded.AsSpan(row * rowBytes, rowBytes), actual);
            AssertSameBits(expected.AsSpan(row * DequantFixtures.RowLength, DequantFixtures.RowLength), actual, $"{type} row {row}");
        }
    }

    [Theory]
    [MemberData(nameof(QuantizableTypes))]
    public void Quantized_rows_equal_llama_cpp_reference_quantizer_bytes(GgmlType type)
    {
        float[] source = DequantFixtures.Source(type);
        byte[] expected = DequantFixtures.Encoded(type);
        var actual = new byte[expected.Length];
        int rowBytes = (int)GgmlTypeInfo.RowByteSize(type, DequantFixtures.RowLength);
        for (int row = 0; row < DequantFixtures.Rows; row++)
            Quantize.Row(type, source.AsSpan(row * DequantFixtures.RowLength, DequantFixtures.RowLength),
                actual.AsSpan(row * rowBytes, rowBytes));

        int mismatch = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(mismatch == expected.Length,
            $"{type}: first differing byte at {mismatch} (block {mismatch / GgmlTypeInfo.BlockBytes(type)})");
    }

    [Theory]
    [InlineData("f16")]
    [InlineData("bf16")]
    public void Half_bit_patterns_widen_as_llama_cpp_does(string format)
    {
        ushort[] patterns = DequantFixtures.ReadUInt16s(format + "_bits.u16");
        float[] expected = DequantFixtures.ReadFloats(format + "_bits.f32");
        Assert.Equal(patterns.Length, expected.Length);
        var actual = patterns.Select(p => format == "f16" ? Fp16.ToSingle(p) : Bf16.ToSingle(p)).ToArray();
        AssertSameBits(expected, actual, format);
    }

    private static void AssertSameBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            uint e = BitConverter.SingleToUInt32Bits(expected[i]), a = BitConverter.SingleToUInt32Bits(actual[i]);
            Assert.True(e == a, $"{what}, element {i}: llama.cpp {expected[i]:R} (0x{e:X8}), PhiSharp {actual[i]:R} (0x{a:X8})");
        }
    }
}

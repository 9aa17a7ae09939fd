using System.Runtime.InteropServices;
using PhiSharp.Kernels;

namespace PhiSharp.Tests.Kernels;

/// <summary>The widening runs the widest vectors first and each narrower width on what is left, so these lengths
/// (8: 128-bit, 16: 256-bit, 64: 512-bit, 7: the scalar tail, 33 and 1001 mixed) reach every width the CPU has in one
/// run. The float16 widths are also called one by one: a width the CPU lacks runs in software.</summary>
public class FloatConversionTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(1001)]
    public void BFloat16_widening_is_the_upper_half_of_the_float32_bit_pattern(int length)
    {
        var random = new Random(length);
        var source = new ushort[length];
        for (int i = 0; i < length; i++) source[i] = (ushort)random.Next(0, 65536);
        var result = new float[length];
        FloatConversion.BFloat16ToSingle(source, result);
        for (int i = 0; i < length; i++)
            Assert.Equal((uint)source[i] << 16, BitConverter.SingleToUInt32Bits(result[i]));
    }

    [Fact]
    public void BFloat16_known_values()
    {
        ushort[] source = [0x3F80, 0xC000, 0x0000, 0x7F80, 0x3E20]; // 1, -2, 0, +inf, 0.15625
        var result = new float[source.Length];
        FloatConversion.BFloat16ToSingle(source, result);
        Assert.Equal([1f, -2f, 0f, float.PositiveInfinity, 0.15625f], result);
    }

    /// <summary>The reference: .NET's scalar IEEE conversion. NaNs stay NaNs (payloads are not specified).</summary>
    static void AssertWidened(ReadOnlySpan<ushort> bits, ReadOnlySpan<float> result)
    {
        for (int i = 0; i < bits.Length; i++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf(bits[i]);
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(result[i]), $"0x{bits[i]:X4} gave {result[i]}");
            else Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(result[i]),
                $"0x{bits[i]:X4}: {result[i]} instead of {expected}");
        }
    }

    [Fact]
    public void Every_float16_bit_pattern_widens_exactly()
    {
        var bits = new ushort[65536];
        for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)i;
        var result = new float[bits.Length];
        FloatConversion.HalfToSingle(MemoryMarshal.Cast<ushort, Half>(bits), result);
        AssertWidened(bits, result);
    }

    public static TheoryData<string> Widths => ["512", "256", "128"];

    /// <summary>Each width alone, on vectors of normal values only (its fast path) and on vectors where one lane holds a
    /// zero, a subnormal, an infinity or a NaN (the general conversion).</summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void Each_width_widens_normal_and_special_vectors_exactly(string width)
    {
        var random = new Random(16);
        var bits = new ushort[4096];
        for (int i = 0; i < bits.Length; i++)
            bits[i] = (ushort)((random.Next(2) << 15) | (random.Next(1, 31) << 10) | random.Next(1024)); // normal
        ushort[] specials = [0x0000, 0x8000, 0x0001, 0x83FF, 0x7C00, 0xFC00, 0x7E00, 0x7C01];
        for (int j = 0; j < specials.Length; j++) bits[1024 + 97 * j] = specials[j];
        var result = new float[bits.Length];
        var source = MemoryMarshal.Cast<ushort, Half>(bits);
        int done = width switch
        {
            "512" => FloatConversion.HalfToSingle<FloatConversion.Halves512>(source, result),
            "256" => FloatConversion.HalfToSingle<FloatConversion.Halves256>(source, result),
            _ => FloatConversion.HalfToSingle<FloatConversion.Halves128>(source, result),
        };
        Assert.Equal(bits.Length, done);
        AssertWidened(bits, result);
    }
}

using PhiSharp.Kernels;

namespace PhiSharp.Tests.Kernels;

/// <summary>The widening runs the widest vectors first and each narrower width on what is left, so these lengths
/// (8: 128-bit, 16: 256-bit, 64: 512-bit, 7: the scalar tail, 33 and 1001 mixed) reach every width the CPU has in one
/// run.</summary>
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
}

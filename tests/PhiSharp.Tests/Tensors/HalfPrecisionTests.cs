using PhiSharp.Tensors;

namespace PhiSharp.Tests.Tensors;

/// <summary>Known IEEE 754 values, independent of any implementation.</summary>
public class HalfPrecisionTests
{
    [Theory]
    [InlineData(1.0f, 0x3C00)]
    [InlineData(-2.0f, 0xC000)]
    [InlineData(0.0f, 0x0000)]
    [InlineData(-0.0f, 0x8000)]
    [InlineData(65504f, 0x7BFF)]          // largest finite half
    [InlineData(65519.99f, 0x7BFF)]       // just below the rounding point to infinity
    [InlineData(65520f, 0x7C00)]          // ties to even: rounds to infinity
    [InlineData(6.103515625e-05f, 0x0400)] // smallest normal 2^-14
    [InlineData(5.9604645e-08f, 0x0001)]  // smallest subnormal 2^-24
    [InlineData(2.9802322e-08f, 0x0000)]  // 2^-25: a tie between 0 and 2^-24, goes to even (0)
    [InlineData(4.4703484e-08f, 0x0001)]  // 1.5 × 2^-25 rounds up to 2^-24
    [InlineData(1.00048828125f, 0x3C00)]  // 1 + 2^-11: tie, stays on even 1.0
    [InlineData(1.00146484375f, 0x3C02)]  // 1 + 3·2^-11: tie, goes up to even
    [InlineData(float.PositiveInfinity, 0x7C00)]
    [InlineData(float.NegativeInfinity, 0xFC00)]
    [InlineData(float.NaN, 0xFE00)]       // .NET's NaN has the sign bit set; ggml keeps the sign, quiet payload
    public void Fp16_FromSingle_rounds_to_nearest_even(float value, int expectedBits) =>
        Assert.Equal((ushort)expectedBits, Fp16.FromSingle(value));

    [Theory]
    [InlineData(0x3C00, 1.0f)]
    [InlineData(0x7BFF, 65504f)]
    [InlineData(0x0001, 5.9604645e-08f)]
    [InlineData(0x83FF, -6.097555e-05f)] // largest negative subnormal
    [InlineData(0xFC00, float.NegativeInfinity)]
    public void Fp16_ToSingle_is_exact(int bits, float expected) =>
        Assert.Equal(expected, Fp16.ToSingle((ushort)bits));

    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(1.00390625f, 0x3F80)]  // 1 + 2^-8: tie, stays on even
    [InlineData(1.01171875f, 0x3F82)]  // 1 + 3·2^-8: tie, goes up to even
    [InlineData(3.4028235e38f, 0x7F80)] // float max rounds to infinity
    [InlineData(-0.0f, 0x8000)]
    public void Bf16_FromSingle_rounds_to_nearest_even(float value, int expectedBits) =>
        Assert.Equal((ushort)expectedBits, Bf16.FromSingle(value));

    [Fact]
    public void Bf16_FromSingle_keeps_NaN_a_quiet_NaN()
    {
        float signalingNaN = BitConverter.UInt32BitsToSingle(0x7F800001);
        Assert.True(float.IsNaN(Bf16.ToSingle(Bf16.FromSingle(signalingNaN))));
    }
}

using System.Runtime.Intrinsics;
using PhiSharp.Kernels.Quantized;

namespace PhiSharp.Tests.Kernels;

public class HalfScalesTests
{
    /// <summary>The kernels' 8-lane and 4-lane conversions of half-precision scales (software vectors where AVX2 is off),
    /// subnormal halves included.</summary>
    [Fact]
    public void Every_finite_half_converts_exactly()
    {
        var lanes = new int[8];
        for (int bits = 0; bits < 0x10000; bits += 8)
        {
            for (int i = 0; i < 8; i++) lanes[i] = bits + i;
            var converted = HalfScales.ToSingle(Vector256.Create(lanes));
            var narrow = Vector256.Create(HalfScales.ToSingle(Vector128.Create(lanes[..4])), HalfScales.ToSingle(Vector128.Create(lanes[4..])));
            for (int i = 0; i < 8; i++)
            {
                var half = BitConverter.UInt16BitsToHalf((ushort)(bits + i));
                if (!Half.IsFinite(half)) continue; // scales are finite; infinities and NaNs are not handled
                Assert.Equal(BitConverter.SingleToInt32Bits((float)half), BitConverter.SingleToInt32Bits(converted[i]));
                Assert.Equal(BitConverter.SingleToInt32Bits((float)half), BitConverter.SingleToInt32Bits(narrow[i]));
            }
        }
    }
}

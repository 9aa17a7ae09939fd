using PhiSharp.Kernels;
using PhiSharp.Models;

namespace PhiSharp.Tests.Kernels;

public class RopeTests
{
    [Fact]
    public void Rotation_pairs_element_i_with_i_plus_half_and_leaves_the_unrotated_tail()
    {
        // One pair rotated by 90°: (a, b) -> (-b, a); entries beyond the rotary dimension untouched.
        float[] head = [1f, 2f, 3f, 4f, 5f, 6f];
        Rope.RotateHalf(head.AsSpan(0, 4), [0f, 1f], [1f, 0f]);
        Assert.Equal([-3f, 2f, 1f, 4f, 5f, 6f], head);
    }

    [Theory]
    [InlineData(48)] // Phi-3-mini's 96-wide heads: whole vectors
    [InlineData(13)] // a ragged tail after the vectors
    public void Every_pair_is_the_scalar_rotation_to_the_bit(int half)
    {
        var random = new Random(half);
        var head = Enumerable.Range(0, 2 * half + 3).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var cos = Enumerable.Range(0, half).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var sin = Enumerable.Range(0, half).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var expected = (float[])head.Clone();
        for (int i = 0; i < half; i++)
        {
            float a = head[i], b = head[i + half];
            expected[i] = a * cos[i] - b * sin[i];
            expected[i + half] = b * cos[i] + a * sin[i];
        }
        Rope.RotateHalf(head.AsSpan(0, 2 * half), cos, sin);
        Assert.Equal(expected, head);
    }

    [Fact]
    public void Rotation_preserves_the_norm_of_each_pair()
    {
        var rope = new RotaryEmbedding(rotaryDim: 8, theta: 10000f);
        var cos = new float[4];
        var sin = new float[4];
        rope.Angles(1234, longFactors: false, cos, sin);
        float[] head = [0.3f, -1.2f, 2f, 0.5f, 1f, 1f, -0.7f, 0.25f];
        var before = Enumerable.Range(0, 4).Select(i => head[i] * head[i] + head[i + 4] * head[i + 4]).ToArray();
        Rope.RotateHalf(head, cos, sin);
        for (int i = 0; i < 4; i++)
            Assert.Equal(before[i], head[i] * head[i] + head[i + 4] * head[i + 4], 4);
    }

    [Fact]
    public void LongRope_switches_to_long_factors_only_beyond_the_original_context()
    {
        var rope = new RotaryEmbedding(4, 10000f, [1f, 1f], [2f, 4f], originalMaxPositions: 4096, attentionFactor: 1.5f);
        Assert.False(rope.UsesLongFactors(4096));
        Assert.True(rope.UsesLongFactors(4097));
        var cos = new float[2];
        var sin = new float[2];
        rope.Angles(0, longFactors: true, cos, sin);
        Assert.Equal([1.5f, 1.5f], cos); // the attention factor scales cos and sin
        Assert.Equal([0f, 0f], sin);
    }
}

using PhiSharp.Models.Phi3Small;

namespace PhiSharp.Tests.Models.Phi3Small;

/// <summary>Phi-3-small's GEGLU: interleaved (gate, linear) pairs, y = quick_gelu(min(g, L)) · (clamp(l, −L, L) + 1).</summary>
public class GegeluTests
{
    static float QuickGelu(double x) => (float)(x / (1 + Math.Exp(-1.702 * x)));

    [Fact]
    public void Even_entries_gate_and_odd_entries_scale()
    {
        float[] y = new float[2];
        Gegelu.Apply([0.5f, 2f, -1f, 0f], 20f, y);
        Assert.Equal(QuickGelu(0.5) * 3f, y[0], 1e-6f);
        Assert.Equal(QuickGelu(-1), y[1], 1e-6f);
    }

    [Fact]
    public void The_limit_caps_the_gate_from_above_only_and_the_linear_part_both_ways()
    {
        float[] y = new float[3];
        Gegelu.Apply([30f, 0f, -30f, 0f, 1f, -30f], 20f, y);
        Assert.Equal(QuickGelu(20), y[0], 1e-4f);     // gate clipped to 20
        Assert.Equal(QuickGelu(-30), y[1], 1e-9f);    // a negative gate is not clipped
        Assert.Equal(QuickGelu(1) * -19f, y[2], 1e-5f); // linear part clipped to −20
    }

    [Fact]
    public void Infinite_inputs_pass_the_clamps_as_in_the_reference()
    {
        float[] y = new float[1];
        Gegelu.Apply([1f, float.PositiveInfinity], 20f, y);
        Assert.Equal(float.PositiveInfinity, y[0]);
    }

    [Fact]
    public void Mismatched_lengths_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Gegelu.Apply(new float[5], 20f, new float[2]));
        Assert.Contains("4 interleaved inputs", e.Message);
    }
}

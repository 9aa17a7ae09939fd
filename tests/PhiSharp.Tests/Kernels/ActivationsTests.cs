using PhiSharp.Kernels;

namespace PhiSharp.Tests.Kernels;

public class ActivationsTests
{
    static float[] Inputs(int n)
    {
        var random = new Random(3);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 12 - 6)).ToArray();
    }

    [Fact]
    public void GeluTanh_is_the_tanh_formula_computed_in_double()
    {
        // 1000 elements: several 256-element chunks and a ragged tail. float32 tanh is within a few ulps.
        var x = Inputs(1000);
        var y = new float[x.Length];
        Activations.GeluTanh(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            double expected = 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            Assert.True(Math.Abs(y[i] - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"x={x[i]}: {y[i]} vs {expected}");
        }
    }

    [Fact]
    public void GeluTanh_in_place_equals_out_of_place()
    {
        var x = Inputs(777);
        var expected = new float[x.Length];
        Activations.GeluTanh(x, expected);
        Activations.GeluTanh(x, x);
        Assert.Equal(expected, x);
    }
}

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

    [Fact]
    public void GeluErf_is_the_erf_formula()
    {
        // erf from its Taylor series in double (an independent evaluation; accurate to ~1e-8 for |z| ≤ 4.3). The kernel's
        // erf is within 1.5e-7, so GELU is within 0.5·|x|·1.5e-7 < 5e-7 here, plus float32 rounding.
        static double Erf(double z)
        {
            double sum = 0, term = z;   // term = (-1)^n z^(2n+1) / n!
            for (int n = 0; n < 200; n++)
            {
                sum += term / (2 * n + 1);
                term *= -z * z / (n + 1);
            }
            return 2 / Math.Sqrt(Math.PI) * sum;
        }
        var x = Inputs(1000);
        var y = new float[x.Length];
        Activations.GeluErf(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = 0.5 * x[i] * (1 + Erf(x[i] / Math.Sqrt(2)));
            Assert.True(Math.Abs(y[i] - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"x={x[i]}: {y[i]} vs {expected}");
        }
        Activations.GeluErf(x, x);
        Assert.Equal(y, x);
    }
}

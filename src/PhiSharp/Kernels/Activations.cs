using System.Numerics.Tensors;

namespace PhiSharp.Kernels;

internal static class Activations
{
    /// <summary>The SiLU-gated MLP's inner product: y = silu(gate) · up, where silu(g) = g · sigmoid(g).
    /// <paramref name="y"/> must not overlap <paramref name="gate"/> or <paramref name="up"/>.</summary>
    public static void SiluGate(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y)
    {
        // sigmoid first, then two products: each step is one vectorised primitive.
        TensorPrimitives.Sigmoid(gate, y);
        TensorPrimitives.Multiply(y, gate, y);
        TensorPrimitives.Multiply(y, up, y);
    }

    /// <summary>Numerically stable softmax in place: subtract the maximum before exponentiating.</summary>
    public static void SoftmaxInPlace(Span<float> x)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        float sum = TensorPrimitives.Sum(x);
        TensorPrimitives.Multiply(x, 1f / sum, x);
    }

    /// <summary>
    /// GELU in its tanh form (HF "gelu_new", used by Phi-2), computed exactly rather than from a table:
    /// y = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))). <paramref name="y"/> may be <paramref name="x"/> itself.
    /// </summary>
    public static void GeluTanh(ReadOnlySpan<float> x, Span<float> y)
    {
        const float SqrtTwoOverPi = 0.7978845608028654f;
        const int Chunk = 256;
        // The tanh factor is built in a scratch chunk so that x is still intact for the final product when y is x.
        Span<float> t = stackalloc float[Chunk];
        for (int i = 0; i < x.Length; i += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - i);
            var xs = x.Slice(i, n);
            var ts = t[..n];
            TensorPrimitives.Multiply(xs, xs, ts);
            TensorPrimitives.Multiply(ts, xs, ts);                  // x³
            TensorPrimitives.MultiplyAdd(ts, 0.044715f, xs, ts);    // x + 0.044715 x³
            TensorPrimitives.Multiply(ts, SqrtTwoOverPi, ts);
            TensorPrimitives.Tanh(ts, ts);
            TensorPrimitives.Add(ts, 1f, ts);
            TensorPrimitives.Multiply(ts, 0.5f, ts);
            TensorPrimitives.Multiply(xs, ts, y.Slice(i, n));
        }
    }

    /// <summary>
    /// GELU in its exact form (HF "gelu", used by BERT): y = 0.5 · x · (1 + erf(x / √2)). erf is Abramowitz–Stegun
    /// 7.1.26 evaluated in double (absolute error below 1.5e-7, under float32's resolution of the result).
    /// <paramref name="y"/> may be <paramref name="x"/> itself.
    /// </summary>
    public static void GeluErf(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            y[i] = (float)(0.5 * v * (1 + Erf(v * 0.7071067811865476)));
        }
    }

    /// <summary>CLIP's quick GELU, x · sigmoid(1.702 x); <paramref name="y"/> may be <paramref name="x"/> itself.</summary>
    public static void QuickGelu(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] / (1 + MathF.Exp(-1.702f * x[i]));
    }

    static double Erf(double z)
    {
        double a = Math.Abs(z);
        double t = 1 / (1 + 0.3275911 * a);
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        double r = 1 - poly * Math.Exp(-a * a);
        return z < 0 ? -r : r;
    }
}

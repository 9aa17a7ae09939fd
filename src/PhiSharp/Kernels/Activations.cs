using System.Numerics.Tensors;

namespace PhiSharp.Kernels;

public static class Activations
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
}

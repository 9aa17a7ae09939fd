using System.Numerics.Tensors;

namespace PhiSharp.Kernels;

public static class Activations
{
    /// <summary>The SiLU-gated MLP's inner product: y = silu(gate) · up, where silu(g) = g · sigmoid(g).</summary>
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
    /// y = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))).
    /// </summary>
    public static void GeluTanh(ReadOnlySpan<float> x, Span<float> y)
    {
        const float SqrtTwoOverPi = 0.7978845608028654f;
        TensorPrimitives.Multiply(x, x, y);
        TensorPrimitives.Multiply(y, x, y);                       // x³
        TensorPrimitives.MultiplyAdd(y, 0.044715f, x, y);         // x + 0.044715 x³
        TensorPrimitives.Multiply(y, SqrtTwoOverPi, y);
        TensorPrimitives.Tanh(y, y);
        TensorPrimitives.Add(y, 1f, y);
        TensorPrimitives.Multiply(y, x, y);
        TensorPrimitives.Multiply(y, 0.5f, y);
    }
}

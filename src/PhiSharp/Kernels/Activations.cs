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
}

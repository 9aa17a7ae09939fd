using System.Numerics.Tensors;

namespace PhiSharp.Kernels;

internal static class Normalization
{
    /// <summary>RMSNorm as Llama/Phi-3 define it: y = x / sqrt(mean(x²) + eps) · weight, accumulated in float32.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> y)
    {
        float meanSquare = TensorPrimitives.SumOfSquares(x) / x.Length;
        float scale = 1f / MathF.Sqrt(meanSquare + epsilon);
        TensorPrimitives.Multiply(x, scale, y);
        TensorPrimitives.Multiply(y, weight, y);
    }

    /// <summary>LayerNorm (Phi-2): y = (x − mean) / sqrt(var + eps) · weight + bias, population variance, float32.</summary>
    public static void LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float epsilon, Span<float> y)
    {
        float mean = TensorPrimitives.Sum(x) / x.Length;
        TensorPrimitives.Subtract(x, mean, y);
        float variance = TensorPrimitives.SumOfSquares(y) / x.Length;
        TensorPrimitives.Multiply(y, 1f / MathF.Sqrt(variance + epsilon), y);
        TensorPrimitives.FusedMultiplyAdd(y, weight, bias, y);
    }
}

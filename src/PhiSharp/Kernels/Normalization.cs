using System.Numerics.Tensors;

namespace PhiSharp.Kernels;

public static class Normalization
{
    /// <summary>RMSNorm as Llama/Phi-3 define it: y = x / sqrt(mean(x²) + eps) · weight, accumulated in float32.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> y)
    {
        float meanSquare = TensorPrimitives.SumOfSquares(x) / x.Length;
        float scale = 1f / MathF.Sqrt(meanSquare + epsilon);
        TensorPrimitives.Multiply(x, scale, y);
        TensorPrimitives.Multiply(y, weight, y);
    }
}

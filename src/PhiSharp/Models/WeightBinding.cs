using PhiSharp.Compute;
using PhiSharp.Formats;
using PhiSharp.Kernels;
using PhiSharp.Kernels.Quantized;
using PhiSharp.Tensors;

namespace PhiSharp.Models;

/// <summary>Finds a model's tensors in a source and checks their shapes, with errors that name the tensor.</summary>
internal static unsafe class WeightBinding
{
    public static WeightTensor Require(ITensorSource source, string name)
    {
        if (!source.TryGetTensor(name, out var tensor))
            throw new ModelFormatException(source.Path, $"missing tensor '{name}'");
        return tensor;
    }

    public static WeightTensor Matrix(ITensorSource source, string name, int rowLength, int rows)
    {
        var t = Require(source, name);
        if (t.Dims.Length != 2 || t.RowLength != rowLength || t.Rows != rows)
            throw new ModelFormatException(source.Path,
                $"tensor '{name}' has shape [{string.Join(", ", t.Dims.Reverse())}], expected [{rows}, {rowLength}]");
        return t;
    }

    /// <summary>A matrix that only matmuls read: in the kernels' fastest layout for it where the source can rewrite its
    /// bytes (<see cref="WeightPreparation"/>).</summary>
    public static WeightTensor MatMulWeight(ITensorSource source, string name, int rowLength, int rows)
    {
        var t = Matrix(source, name, rowLength, rows);
        return WeightPreparation.TryPrepare(source, name, SimdTiers.Active, out var prepared) ? prepared : t;
    }

    /// <summary>Small 1-D tensors (norm weights, rope factors) are read once into float32.</summary>
    public static float[] Vector(ITensorSource source, string name, int length)
    {
        var t = Require(source, name);
        if (t.ElementCount != length)
            throw new ModelFormatException(source.Path, $"tensor '{name}' has {t.ElementCount} elements, expected {length}");
        var values = new float[length];
        var flat = new WeightTensor(t.Name, t.Type, [length], t.Data, t.ByteLength);
        WeightRows.AsFloat(flat, 0, values).CopyTo(values);
        return values;
    }

    /// <summary>Rows [start, start + count) of a matrix as a matrix of its own (no copy): splits a fused projection.</summary>
    public static WeightTensor RowRange(in WeightTensor matrix, int start, int count)
    {
        // Interleaved groups are 8 rows' bytes each, so whole groups slice like rows.
        if (matrix.RowsInterleaved && (start % InterleavedRows.Group != 0 || count % InterleavedRows.Group != 0))
            throw new InvalidOperationException($"rows {start}..{start + count} of '{matrix.Name}' split an interleaved group of 8");
        long rowBytes = matrix.ByteLength / matrix.Rows;
        return new WeightTensor(matrix.Name, matrix.Type, [matrix.RowLength, count], matrix.Data + start * rowBytes, count * rowBytes,
            matrix.Layout);
    }
}

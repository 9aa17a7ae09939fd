using System.Numerics.Tensors;
using PhiSharp.Compute;
using PhiSharp.Tensors;

namespace PhiSharp.Kernels;

/// <summary>
/// y = x · Wᵀ for a weight of any stored type: each of <c>tokens</c> input rows of x (length W.RowLength) gives
/// one output row of W.Rows values. Work is split by weight rows; each weight row is widened to float32 once and
/// then dotted with every token, so a prompt reads the weights once. Float math throughout; the quantized
/// integer kernels are a separate path.
/// </summary>
public sealed unsafe class MatMul : IParallelWork
{
    readonly WorkerPool _pool;
    WeightTensor _weight;
    float* _x;
    float* _y;
    int _tokens;

    [ThreadStatic] static float[]? t_rowScratch;

    public MatMul(WorkerPool pool) => _pool = pool;

    public void Multiply(in WeightTensor weight, ReadOnlySpan<float> x, Span<float> y, int tokens)
    {
        int cols = weight.RowLength, rows = weight.Rows;
        if (x.Length < tokens * cols) throw new ArgumentException($"Input holds {x.Length} floats; {tokens} × {cols} needed for {weight.Name}.");
        if (y.Length < tokens * rows) throw new ArgumentException($"Output holds {y.Length} floats; {tokens} × {rows} needed for {weight.Name}.");
        fixed (float* px = x)
        fixed (float* py = y)
        {
            _weight = weight;
            _x = px;
            _y = py;
            _tokens = tokens;
            _pool.Run(this, rows, minChunk: 16);
            _x = _y = null;
        }
    }

    void IParallelWork.Execute(int start, int end)
    {
        int cols = _weight.RowLength, rows = _weight.Rows;
        var scratch = RowScratch(cols);
        for (int r = start; r < end; r++)
        {
            var row = WeightRows.AsFloat(_weight, r, scratch);
            for (int t = 0; t < _tokens; t++)
                _y[(long)t * rows + r] = TensorPrimitives.Dot(row, new ReadOnlySpan<float>(_x + (long)t * cols, cols));
        }
    }

    static Span<float> RowScratch(int length)
    {
        var s = t_rowScratch;
        if (s is null || s.Length < length) t_rowScratch = s = new float[length];
        return s.AsSpan(0, length);
    }
}

/// <summary>Reads one row of a weight tensor as float32, whatever its stored type.</summary>
public static unsafe class WeightRows
{
    /// <summary>Returns the row itself for F32 weights, else widens or dequantizes it into <paramref name="scratch"/>.</summary>
    public static ReadOnlySpan<float> AsFloat(in WeightTensor weight, int row, Span<float> scratch)
    {
        int cols = weight.RowLength;
        long rowBytes = GgmlTypeInfo.RowByteSize(weight.Type, cols);
        byte* p = weight.Data + row * rowBytes;
        switch (weight.Type)
        {
            case GgmlType.F32:
                return new ReadOnlySpan<float>(p, cols);
            case GgmlType.F16:
                FloatConversion.HalfToSingle(new ReadOnlySpan<Half>(p, cols), scratch);
                return scratch[..cols];
            case GgmlType.BF16:
                FloatConversion.BFloat16ToSingle(new ReadOnlySpan<ushort>(p, cols), scratch);
                return scratch[..cols];
            default:
                Dequantize.Row(weight.Type, new ReadOnlySpan<byte>(p, checked((int)rowBytes)), scratch[..cols]);
                return scratch[..cols];
        }
    }
}

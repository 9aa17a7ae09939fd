using System.Numerics.Tensors;
using PhiSharp.Compute;
using PhiSharp.Kernels.Quantized;
using PhiSharp.Tensors;

namespace PhiSharp.Kernels;

/// <summary>
/// y = x · Wᵀ for a weight of any stored type: each of <c>tokens</c> input rows of x (length W.RowLength) gives
/// one output row of W.Rows values. Work is split by weight rows, and each weight row is dotted with every token,
/// so a prompt reads the weights once. Q4_0, Q8_0, Q4_K and Q6_K weights use integer kernels on activations
/// rounded to 8 bits as llama.cpp rounds them (<see cref="Q8Activations"/>); other types are widened to float32
/// row by row.
/// </summary>
internal sealed unsafe class MatMul : IParallelWork
{
    readonly WorkerPool _pool;
    readonly Q8Activations _activations = new();
    readonly SimdTier _tier;
    readonly QuantizeRows _quantizeRows;
    WeightTensor _weight;
    float* _x;
    float* _y;
    int _tokens;
    Q8Batch _batch;
    bool _integer;

    [ThreadStatic] static float[]? t_rowScratch;

    /// <param name="tier">The tier of the quantized kernels: the process's (<see cref="SimdTiers.Active"/>) unless a test
    /// picks one. Weights must be prepared for it (Compute/WeightPreparation).</param>
    internal MatMul(WorkerPool pool, SimdTier tier)
    {
        _pool = pool;
        _tier = tier;
        _quantizeRows = new QuantizeRows(this);
    }

    /// <summary>Rounds rows [start, end) of the matmul's input to 8 bits.</summary>
    sealed class QuantizeRows(MatMul owner) : IParallelWork
    {
        public void Execute(int start, int end) =>
            owner._activations.QuantizeRows(new ReadOnlySpan<float>(owner._x, owner._tokens * owner._weight.RowLength), start, end);
    }

    public MatMul(WorkerPool pool) : this(pool, SimdTiers.Active) { }

    /// <summary>Whether <paramref name="type"/> has an integer kernel, and which activation form it takes.</summary>
    internal static bool HasIntegerKernel(GgmlType type, out bool superBlocks)
    {
        superBlocks = type is GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;
        return type is GgmlType.Q4_0 or GgmlType.Q8_0 or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;
    }

    public void Multiply(in WeightTensor weight, ReadOnlySpan<float> x, Span<float> y, int tokens)
    {
        int cols = weight.RowLength, rows = weight.Rows;
        if (x.Length < tokens * cols) throw new ArgumentException($"Input holds {x.Length} floats; {tokens} × {cols} needed for {weight.Name}.");
        if (y.Length < tokens * rows) throw new ArgumentException($"Output holds {y.Length} floats; {tokens} × {rows} needed for {weight.Name}.");
        bool integer = HasIntegerKernel(weight.Type, out bool superBlocks);
        if (weight.RowsInterleaved && weight.Layout != InterleavedRows.LayoutFor(weight.Type, _tier))
            throw new InvalidOperationException($"{weight.Name} is laid out as {weight.Layout}, not for the {_tier.Name()} kernels.");
        if (integer)
            _activations.Prepare(tokens, cols, superBlocks, laneOffsets: weight.Type == GgmlType.Q4_0 && !weight.RowsInterleaved);
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (sbyte* qv = _activations.Values)
        fixed (float* qs = _activations.Scales)
        fixed (int* qsum = _activations.Sums)
        fixed (int* lanes = _activations.LaneOffsets)
        fixed (int* pairs = _activations.PairSums)
        {
            _weight = weight;
            _x = px;
            _y = py;
            _tokens = tokens;
            _integer = integer;
            if (integer) _pool.Run(_quantizeRows, tokens, minChunk: 4); // a prompt's rows in parallel, a decode step's inline
            int tokenPairs = weight.RowsInterleaved ? InterleavedRows.TokenPairs(weight.Type, _tier, tokens) : 0;
            if (tokenPairs > 0) _activations.PairTokens(tokenPairs);
            fixed (sbyte* pairValues = _activations.TokenPairValues)
            fixed (float* pairScales = _activations.TokenPairScales)
            fixed (int* pairSums = _activations.TokenPairSumsTimes8)
            {
                _batch = new Q8Batch(qv, qs, qsum, lanes, pairs, cols, _activations.ScalesPerToken, _activations.SumsPerToken,
                    new Q8TokenPairs(pairValues, pairScales, pairSums), tokenPairs);
                if (weight.RowsInterleaved) _pool.Run(this, rows / InterleavedRows.Group, minChunk: 2); // items: groups of 8 rows
                else _pool.Run(this, rows, minChunk: 16);
            }
            _x = _y = null;
            _batch = default;
        }
    }

    void IParallelWork.Execute(int start, int end)
    {
        if (!_integer)
        {
            ExecuteFloat(start, end);
            return;
        }
        var range = new IntegerRange(this, start, end);
        _tier.Run(ref range);
    }

    /// <summary>Items [start, end) of an integer matmul, run at the tier's type.</summary>
    readonly struct IntegerRange(MatMul owner, int start, int end) : ITierWork
    {
        public void Run<TTier>() where TTier : struct, ISimdTier => owner.ExecuteInteger<TTier>(start, end);
    }

    void ExecuteInteger<TTier>(int start, int end) where TTier : struct, ISimdTier
    {
        int cols = _weight.RowLength, rows = _weight.Rows;
        long rowBytes = GgmlTypeInfo.RowByteSize(_weight.Type, cols);
        if (_weight.RowsInterleaved)
        {
            InterleavedRows.DotGroups<TTier>(_weight.Type, _weight.Data, InterleavedRows.Group * rowBytes, start, end, cols, _batch,
                _tokens, _y, rows);
            return;
        }
        RowMajorRows.DotRows<TTier>(_weight.Type, _weight.Data, start, end, cols, _batch, _tokens, _y, rows);
    }

    void ExecuteFloat(int start, int end)
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
internal static unsafe class WeightRows
{
    /// <summary>Returns the row itself for F32 weights, else widens or dequantizes it into <paramref name="scratch"/>.</summary>
    public static ReadOnlySpan<float> AsFloat(in WeightTensor weight, int row, Span<float> scratch)
    {
        int cols = weight.RowLength;
        long rowBytes = GgmlTypeInfo.RowByteSize(weight.Type, cols);
        if (weight.RowsInterleaved)
        {
            const int Group = InterleavedRows.Group;
            InterleavedRows.DequantizeRow(weight, weight.Data + row / Group * Group * rowBytes, row % Group, scratch[..cols]);
            return scratch[..cols];
        }
        byte* p = weight.Row(row, rowBytes);
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

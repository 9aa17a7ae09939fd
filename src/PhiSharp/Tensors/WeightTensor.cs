namespace PhiSharp.Tensors;

/// <summary>
/// A view of one tensor where it lies: in a memory-mapped file or a pinned buffer owned by its source.
/// <see cref="Dims"/> is in ggml order: Dims[0] is the innermost (contiguous) dimension, so a PyTorch
/// weight of shape [out, in] has Dims = [in, out]: <see cref="Rows"/> = out, <see cref="RowLength"/> = in.
/// Valid only while the source that produced it is alive.
/// </summary>
internal readonly unsafe struct WeightTensor
{
    public string Name { get; }
    public GgmlType Type { get; }
    public long[] Dims { get; }
    public long ByteLength { get; }

    readonly byte* _data;
    readonly RowsOnDemand? _rowsOnDemand;

    /// <summary>The tensor's bytes, all of them present (rows read on demand are read first).</summary>
    public byte* Data
    {
        get
        {
            _rowsOnDemand?.EnsureAll();
            return _data;
        }
    }

    /// <summary>Row <paramref name="row"/>'s bytes, <paramref name="rowBytes"/> of them: of a tensor whose rows are read
    /// on demand, that row alone is read (<see cref="RowsOnDemand"/>).</summary>
    public byte* Row(int row, long rowBytes)
    {
        _rowsOnDemand?.EnsureRow(row);
        return _data + row * rowBytes;
    }

    /// <summary>How the rows lie: as stored, or rewritten for the matmul kernels (Compute/WeightPreparation).</summary>
    public WeightLayout Layout { get; }

    /// <summary>Rows rewritten eight at a time for the matmul kernels (Kernels/Quantized/InterleavedRows: Q4_0, Q8_0, Q4_K, Q6_K);
    /// the bytes are a permutation of the row-major ones.</summary>
    public bool RowsInterleaved => Layout != WeightLayout.RowMajor;

    public WeightTensor(string name, GgmlType type, long[] dims, byte* data, long byteLength, WeightLayout layout = WeightLayout.RowMajor,
        RowsOnDemand? rowsOnDemand = null)
    {
        Name = name;
        Type = type;
        Dims = dims;
        _data = data;
        ByteLength = byteLength;
        Layout = layout;
        _rowsOnDemand = rowsOnDemand;
    }

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Dims) n *= d;
            return n;
        }
    }

    /// <summary>Length of the contiguous innermost dimension.</summary>
    public int RowLength => (int)Dims[0];

    /// <summary>Number of rows: the product of all dimensions but the innermost.</summary>
    public int Rows => (int)(ElementCount / Dims[0]);

    public ReadOnlySpan<byte> Bytes => new(Data, checked((int)ByteLength));
}

/// <summary>The byte layout of a weight matrix (Compute/WeightPreparation chooses it per kernel tier).</summary>
internal enum WeightLayout
{
    /// <summary>As the file stores it: row after row of the type's blocks.</summary>
    RowMajor,

    /// <summary>Rows interleaved eight at a time (Kernels/Quantized/InterleavedRows), codes as stored.</summary>
    RowsInterleaved,

    /// <summary>Q8_0 rows interleaved, codes stored unsigned (q + 128) for the x86-avxvnni tier's vpdpbusd.</summary>
    RowsInterleavedUnsigned,
}

using System.Runtime.InteropServices;
using System.Text;
using PhiSharp.Tensors;

namespace PhiSharp.Formats.Gguf;

/// <summary>
/// Writes a GGUF v3 file, streaming tensor data to disk. Use in three steps: add all metadata and declare all
/// tensors (name, type, dims); then write each tensor's encoded bytes in declaration order with
/// <see cref="WriteTensorData"/>; then <see cref="Finish"/>. Metadata is buffered until the header is written
/// (it is small next to the tensors); tensor data is never held. The alignment is 32 unless metadata
/// "general.alignment" (UInt32) says otherwise.
/// </summary>
public sealed class GgufWriter : IDisposable
{
    private readonly string _path;
    private readonly FileStream _stream;
    private readonly MemoryStream _metadata = new();
    private readonly BinaryWriter _metadataWriter;
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<GgufTensorInfo> _tensors = [];
    private long _nextOffset;
    private int _written = -1; // -1: header not yet written; else the number of tensors whose data is written
    private uint _alignment = GgufFile.DefaultAlignment;

    public GgufWriter(string path)
    {
        _path = path;
        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        _metadataWriter = new BinaryWriter(_metadata, Encoding.UTF8, leaveOpen: true);
    }

    public void AddMetadata(string key, byte value) => AddScalar(key, GgufValueType.UInt8, w => w.Write(value));
    public void AddMetadata(string key, sbyte value) => AddScalar(key, GgufValueType.Int8, w => w.Write(value));
    public void AddMetadata(string key, ushort value) => AddScalar(key, GgufValueType.UInt16, w => w.Write(value));
    public void AddMetadata(string key, short value) => AddScalar(key, GgufValueType.Int16, w => w.Write(value));
    public void AddMetadata(string key, int value) => AddScalar(key, GgufValueType.Int32, w => w.Write(value));
    public void AddMetadata(string key, ulong value) => AddScalar(key, GgufValueType.UInt64, w => w.Write(value));
    public void AddMetadata(string key, long value) => AddScalar(key, GgufValueType.Int64, w => w.Write(value));
    public void AddMetadata(string key, float value) => AddScalar(key, GgufValueType.Float32, w => w.Write(value));
    public void AddMetadata(string key, double value) => AddScalar(key, GgufValueType.Float64, w => w.Write(value));
    public void AddMetadata(string key, bool value) => AddScalar(key, GgufValueType.Bool, w => w.Write(value));
    public void AddMetadata(string key, string value) => AddScalar(key, GgufValueType.String, w => WriteString(w, value));

    public void AddMetadata(string key, uint value)
    {
        if (key == GgufFile.AlignmentKey)
        {
            if (value == 0 || (value & (value - 1)) != 0)
                throw new ArgumentException($"alignment {value} is not a power of two", nameof(value));
            if (_tensors.Count > 0) throw new InvalidOperationException("set the alignment before adding tensors");
            _alignment = value;
        }
        AddScalar(key, GgufValueType.UInt32, w => w.Write(value));
    }

    /// <summary>An array of fixed-size values (float → Float32, int → Int32, ...).</summary>
    public void AddArray<T>(string key, ReadOnlySpan<T> values) where T : unmanaged => AddArray(key, GgufArray.Of(values));

    public void AddArray(string key, IReadOnlyList<string> values) => AddArray(key, GgufArray.Of(values));

    /// <summary>Any array, including arrays of arrays.</summary>
    public void AddArray(string key, GgufArray array)
    {
        BeginMetadata(key, GgufValueType.Array);
        array.WriteTo(_metadataWriter);
    }

    /// <summary>Declares a tensor; its data follows later through <see cref="WriteTensorData"/>.</summary>
    /// <param name="dims">Dimensions in ggml order: dims[0] is the row length.</param>
    public void AddTensor(string name, GgmlType type, IReadOnlyList<long> dims)
    {
        EnsureHeaderNotWritten();
        if (_tensors.Any(t => t.Name == name)) throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        if (dims.Count is 0 or > GgufFile.MaxDims || dims.Any(d => d <= 0))
            throw new ArgumentException($"tensor '{name}' has invalid dims [{string.Join(", ", dims)}]", nameof(dims));
        long rows = dims.Skip(1).Aggregate(1L, (product, d) => checked(product * d));
        long byteLength = checked(GgmlTypeInfo.RowByteSize(type, dims[0]) * rows);
        _tensors.Add(new GgufTensorInfo(name, type, dims.ToArray(), _nextOffset, byteLength));
        _nextOffset = GgufFile.AlignUp(checked(_nextOffset + byteLength), _alignment);
    }

    /// <summary>Writes the encoded bytes of the next declared tensor, which must be named <paramref name="name"/>.</summary>
    public void WriteTensorData(string name, ReadOnlySpan<byte> data)
    {
        if (_written < 0) WriteHeader();
        if (_written >= _tensors.Count) throw new InvalidOperationException($"tensor '{name}' was not declared");
        GgufTensorInfo tensor = _tensors[_written];
        if (tensor.Name != name)
            throw new InvalidOperationException($"tensor data must follow declaration order: expected '{tensor.Name}', got '{name}'");
        if (data.Length != tensor.ByteLength)
            throw new ArgumentException($"tensor '{name}' takes {tensor.ByteLength} bytes, got {data.Length}", nameof(data));
        _stream.Write(data);
        Pad();
        _written++;
    }

    /// <summary>Completes the file; every declared tensor must have been written.</summary>
    public void Finish()
    {
        if (_written < 0) WriteHeader();
        if (_written != _tensors.Count)
            throw new InvalidOperationException($"{_path}: {_tensors.Count - _written} declared tensors were not written, " +
                $"the first is '{_tensors[_written].Name}'");
        _stream.Flush();
    }

    /// <summary>Closes the file. Without <see cref="Finish"/> first, the file is incomplete.</summary>
    public void Dispose()
    {
        _metadataWriter.Dispose();
        _stream.Dispose();
    }

    private void AddScalar(string key, GgufValueType type, Action<BinaryWriter> write)
    {
        BeginMetadata(key, type);
        write(_metadataWriter);
    }

    private void BeginMetadata(string key, GgufValueType type)
    {
        EnsureHeaderNotWritten();
        if (!_keys.Add(key)) throw new ArgumentException($"metadata '{key}' was already added", nameof(key));
        WriteString(_metadataWriter, key);
        _metadataWriter.Write((uint)type);
    }

    private void WriteHeader()
    {
        using var header = new BinaryWriter(_stream, Encoding.UTF8, leaveOpen: true);
        header.Write(GgufFile.Magic);
        header.Write(3u);
        header.Write((ulong)_tensors.Count);
        header.Write((ulong)_keys.Count);
        _metadataWriter.Flush();
        _metadata.Position = 0;
        _metadata.CopyTo(_stream);
        foreach (var tensor in _tensors)
        {
            WriteString(header, tensor.Name);
            header.Write((uint)tensor.Dims.Count);
            foreach (long dim in tensor.Dims) header.Write((ulong)dim);
            header.Write((uint)tensor.Type);
            header.Write((ulong)tensor.Offset);
        }
        header.Flush();
        Pad();
        _written = 0;
    }

    private void Pad()
    {
        long padding = GgufFile.AlignUp(_stream.Position, _alignment) - _stream.Position;
        for (long i = 0; i < padding; i++) _stream.WriteByte(0);
    }

    private void EnsureHeaderNotWritten()
    {
        if (_written >= 0) throw new InvalidOperationException("metadata and tensors must be added before any tensor data is written");
    }

    internal static void WriteString(BinaryWriter writer, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }
}

/// <summary>An array value to write with <see cref="GgufWriter.AddArray(string, GgufArray)"/>; arrays may nest.</summary>
public sealed class GgufArray
{
    private readonly Action<BinaryWriter> _writeElements;

    public GgufValueType ElementType { get; }
    public long Length { get; }

    private GgufArray(GgufValueType elementType, long length, Action<BinaryWriter> writeElements)
    {
        ElementType = elementType;
        Length = length;
        _writeElements = writeElements;
    }

    public static GgufArray Of<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        byte[] bytes = MemoryMarshal.AsBytes(values).ToArray();
        return new(GgufValueTypes.Of<T>(), values.Length, w => w.Write(bytes));
    }

    public static GgufArray Of(IReadOnlyList<string> values) =>
        new(GgufValueType.String, values.Count, w => { foreach (string s in values) GgufWriter.WriteString(w, s); });

    public static GgufArray Of(params GgufArray[] arrays) =>
        new(GgufValueType.Array, arrays.Length, w => { foreach (var a in arrays) a.WriteTo(w); });

    internal void WriteTo(BinaryWriter writer)
    {
        writer.Write((uint)ElementType);
        writer.Write((ulong)Length);
        _writeElements(writer);
    }
}

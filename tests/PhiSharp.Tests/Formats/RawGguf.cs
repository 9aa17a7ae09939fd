using System.Text;
using PhiSharp.Formats.Gguf;
using PhiSharp.Tensors;

namespace PhiSharp.Tests.Formats;

/// <summary>Writes GGUF bytes field by field, with no validation, to build corrupt and edge-case files that
/// <see cref="GgufWriter"/> rightly refuses to produce.</summary>
internal sealed class RawGguf
{
    private readonly MemoryStream _bytes = new();
    private readonly BinaryWriter _writer;

    public RawGguf() => _writer = new BinaryWriter(_bytes, Encoding.UTF8, leaveOpen: true);

    public long Length => _bytes.Length;

    public RawGguf Header(ulong tensorCount, ulong metadataCount, uint version = 3, uint magic = GgufFile.Magic) =>
        U32(magic).U32(version).U64(tensorCount).U64(metadataCount);

    public RawGguf U32(uint value) { _writer.Write(value); return this; }
    public RawGguf U64(ulong value) { _writer.Write(value); return this; }
    public RawGguf Bytes(params byte[] value) { _writer.Write(value); return this; }

    public RawGguf String(string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        return U64((ulong)bytes.Length).Bytes(bytes);
    }

    public RawGguf KeyValueUInt32(string key, uint value) => String(key).U32((uint)GgufValueType.UInt32).U32(value);

    public RawGguf TensorInfo(string name, GgmlType type, ulong offset, params ulong[] dims)
    {
        String(name).U32((uint)dims.Length);
        foreach (ulong d in dims) U64(d);
        return U32((uint)type).U64(offset);
    }

    public RawGguf PadTo(int alignment)
    {
        while (_bytes.Length % alignment != 0) _writer.Write((byte)0);
        return this;
    }

    public RawGguf Zeros(int count) => Bytes(new byte[count]);

    public string WriteTo(string path)
    {
        _writer.Flush();
        File.WriteAllBytes(path, _bytes.ToArray());
        return path;
    }
}

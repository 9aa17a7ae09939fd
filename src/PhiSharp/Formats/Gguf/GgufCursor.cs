using System.Runtime.CompilerServices;
using System.Text;

namespace PhiSharp.Formats.Gguf;

/// <summary>Reads little-endian GGUF fields from a file's bytes, checking every read against the file's end so a
/// truncated or corrupt file raises <see cref="ModelFormatException"/> naming what was being read.</summary>
internal unsafe struct GgufCursor
{
    private readonly FileBytes _file;

    public GgufCursor(FileBytes file, long position)
    {
        _file = file;
        Position = position;
    }

    public long Position { get; private set; }

    public readonly long Remaining => _file.Length - Position;

    public byte ReadUInt8(string what) => Read<byte>(what);
    public uint ReadUInt32(string what) => Read<uint>(what);
    public ulong ReadUInt64(string what) => Read<ulong>(what);

    /// <summary>A 64-bit count or size that must also fit in a signed long.</summary>
    public long ReadLength(string what)
    {
        ulong value = ReadUInt64(what);
        if (value > long.MaxValue) throw Corrupt($"{what} is {value}, which is impossibly large");
        return (long)value;
    }

    /// <summary>A GGUF string: u64 byte length, then UTF-8 bytes (no terminator).</summary>
    public string ReadString(string what)
    {
        long length = ReadStringLength(what);
        string value = Encoding.UTF8.GetString(_file.Pointer + Position, (int)length);
        Position += length;
        return value;
    }

    /// <summary>Skips a string, validating its length, without decoding it.</summary>
    public void SkipString(string what)
    {
        long length = ReadStringLength(what); // advances past the length field before we add to Position
        Position += length;
    }

    public void Skip(long bytes, string what)
    {
        Require(bytes, what);
        Position += bytes;
    }

    /// <summary>Throws unless <paramref name="bytes"/> more bytes lie before the end of the file; makes them present.</summary>
    public readonly void Require(long bytes, string what)
    {
        if (bytes < 0 || bytes > Remaining)
            throw Corrupt($"truncated: {what} needs {bytes} bytes at offset {Position}, but the file has {Remaining} left");
        _file.EnsureReadThrough(Position + bytes);
    }

    public readonly ModelFormatException Corrupt(string message) => new(_file.Path, message);

    private long ReadStringLength(string what)
    {
        long length = ReadLength($"length of {what}");
        Require(length, what);
        if (length > int.MaxValue) throw Corrupt($"{what} is {length} bytes long, more than a string can hold");
        return length;
    }

    private T Read<T>(string what) where T : unmanaged
    {
        Require(sizeof(T), what);
        T value = Unsafe.ReadUnaligned<T>(_file.Pointer + Position);
        Position += sizeof(T);
        return value;
    }
}

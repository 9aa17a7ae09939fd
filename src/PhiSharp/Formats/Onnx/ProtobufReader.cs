namespace PhiSharp.Formats.Onnx;

/// <summary>Protocol Buffers wire types (the low 3 bits of a field key).</summary>
internal enum WireType { Varint = 0, Fixed64 = 1, LengthDelimited = 2, StartGroup = 3, EndGroup = 4, Fixed32 = 5 }

/// <summary>
/// Reads the Protocol Buffers wire format forward over one message's bytes: enough to walk ONNX's ModelProto, with
/// sub-messages and byte fields handed out as slices of the same buffer (an 87 MB weight blob is never copied).
/// Schema-less on purpose: the ONNX reader names the few fields it needs, and skips every other one.
/// </summary>
internal struct ProtobufReader(ReadOnlyMemory<byte> message, string source)
{
    int _position;

    public readonly bool AtEnd => _position >= message.Length;

    /// <summary>The next field's number and wire type; false at the end of the message.</summary>
    public bool TryReadKey(out int field, out WireType wire)
    {
        field = 0;
        wire = default;
        if (AtEnd) return false;
        ulong key = ReadVarint();
        if (key >> 3 is 0 or > int.MaxValue) throw Error($"field number {key >> 3}");
        field = (int)(key >> 3);
        wire = (WireType)(key & 7);
        return true;
    }

    public ulong ReadVarint()
    {
        var bytes = message.Span;
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= bytes.Length) throw Error("truncated varint");
            byte b = bytes[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw Error("varint longer than 10 bytes");
    }

    public long ReadInt64() => (long)ReadVarint();

    public ReadOnlyMemory<byte> ReadBytes()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(message.Length - _position)) throw Error($"a {length}-byte field runs past the end of its message");
        return Take((int)length);
    }

    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadBytes().Span);

    /// <summary>A repeated int64 field, packed (one length-delimited run) or not (one varint).</summary>
    public void ReadInt64s(WireType wire, List<long> into)
    {
        if (wire == WireType.Varint) { into.Add(ReadInt64()); return; }
        var packed = new ProtobufReader(ReadBytes(), source);
        while (!packed.AtEnd) into.Add(packed.ReadInt64());
    }

    /// <summary>Skips a field of any wire type but groups (deprecated; ONNX has none).</summary>
    public void Skip(WireType wire)
    {
        switch (wire)
        {
            case WireType.Varint: ReadVarint(); break;
            case WireType.Fixed64: Take(8); break;
            case WireType.Fixed32: Take(4); break;
            case WireType.LengthDelimited: ReadBytes(); break;
            default: throw Error($"unsupported wire type {(int)wire}");
        }
    }

    ReadOnlyMemory<byte> Take(int length)
    {
        if (length > message.Length - _position) throw Error("truncated field");
        var slice = message.Slice(_position, length);
        _position += length;
        return slice;
    }

    readonly ModelFormatException Error(string what) => new(source, $"malformed protobuf: {what} at byte {_position} of a {message.Length}-byte message");
}

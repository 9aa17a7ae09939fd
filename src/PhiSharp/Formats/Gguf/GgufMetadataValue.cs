using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;

namespace PhiSharp.Formats.Gguf;

/// <summary>
/// One GGUF metadata value: a scalar, a string or an array. Scalars and strings are decoded when the file is opened;
/// arrays stay in the file's bytes (validated) and are decoded only when asked for, in one allocation of the exact
/// size, so a 100k-entry tokenizer vocabulary costs nothing until it is read. Valid while its file is open.
/// </summary>
public sealed unsafe class GgufMetadataValue
{
    private readonly FileBytes _file;
    private readonly Int128 _integer;
    private readonly double _float;
    private readonly string? _string;
    private readonly long _arrayOffset;

    public string Key { get; }
    public GgufValueType Type { get; }

    /// <summary>For arrays, the kind of their elements.</summary>
    public GgufValueType ElementType { get; }

    /// <summary>For arrays, their number of elements.</summary>
    public long Length { get; }

    private GgufMetadataValue(FileBytes file, string key, GgufValueType type)
    {
        _file = file;
        Key = key;
        Type = type;
    }

    private GgufMetadataValue(FileBytes file, string key, GgufValueType type, Int128 integer, double @float, string? @string)
        : this(file, key, type)
    {
        _integer = integer;
        _float = @float;
        _string = @string;
    }

    private GgufMetadataValue(FileBytes file, string key, GgufValueType elementType, long length, long arrayOffset)
        : this(file, key, GgufValueType.Array)
    {
        ElementType = elementType;
        Length = length;
        _arrayOffset = arrayOffset;
    }

    /// <summary>The deepest nesting of arrays accepted; real files use one level, and a limit keeps a corrupt file
    /// from exhausting the stack.</summary>
    internal const int MaxArrayDepth = 8;

    /// <summary>Reads a value of kind <paramref name="type"/> at the cursor, validating arrays completely.</summary>
    internal static GgufMetadataValue Read(FileBytes file, ref GgufCursor cursor, string key, GgufValueType type, int depth = 0)
    {
        string what = $"metadata '{key}'";
        switch (type)
        {
            case GgufValueType.String:
                return new(file, key, type, 0, 0, cursor.ReadString(what));
            case GgufValueType.Array:
                return ReadArray(file, ref cursor, key, depth);
            case GgufValueType.Float32:
                return new(file, key, type, 0, BitConverter.UInt32BitsToSingle(cursor.ReadUInt32(what)), null);
            case GgufValueType.Float64:
                return new(file, key, type, 0, BitConverter.UInt64BitsToDouble(cursor.ReadUInt64(what)), null);
            case GgufValueType.Bool:
                byte b = cursor.ReadUInt8(what);
                if (b > 1) throw cursor.Corrupt($"{what} is a bool with byte value {b}");
                return new(file, key, type, b, 0, null);
            default:
                if (!GgufValueTypes.IsInteger(type))
                    throw cursor.Corrupt($"{what} has unknown value type {(uint)type}");
                return new(file, key, type, ReadInteger(ref cursor, type, what), 0, null);
        }
    }

    private static Int128 ReadInteger(ref GgufCursor cursor, GgufValueType type, string what)
    {
        int size = GgufValueTypes.FixedSize(type);
        ulong raw = size switch
        {
            1 => cursor.ReadUInt8(what),
            2 => (ulong)cursor.ReadUInt8(what) | ((ulong)cursor.ReadUInt8(what) << 8),
            4 => cursor.ReadUInt32(what),
            _ => cursor.ReadUInt64(what),
        };
        if (!GgufValueTypes.IsSigned(type)) return raw;
        int unused = 64 - 8 * size; // sign-extend from the value's own width
        return (long)(raw << unused) >> unused;
    }

    private static GgufMetadataValue ReadArray(FileBytes file, ref GgufCursor cursor, string key, int depth)
    {
        string what = $"metadata array '{key}'";
        if (depth >= MaxArrayDepth) throw cursor.Corrupt($"{what} nests arrays deeper than {MaxArrayDepth} levels");
        var elementType = (GgufValueType)cursor.ReadUInt32($"element type of {what}");
        long length = cursor.ReadLength($"length of {what}");
        long start = cursor.Position;
        int fixedSize = GgufValueTypes.FixedSize(elementType);
        if (fixedSize > 0)
        {
            if (length > cursor.Remaining / fixedSize)
                throw cursor.Corrupt($"truncated: {what} claims {length} elements of {elementType}, more than the file holds");
            cursor.Skip(length * fixedSize, what);
        }
        else if (elementType is GgufValueType.String or GgufValueType.Array)
        {
            // each element takes at least its 8-byte length (strings) or 12-byte header (arrays): bound the loop first
            long minimumSize = elementType == GgufValueType.String ? 8 : 12;
            if (length > cursor.Remaining / minimumSize)
                throw cursor.Corrupt($"truncated: {what} claims {length} elements of {elementType}, more than the file holds");
            for (long i = 0; i < length; i++)
            {
                if (elementType == GgufValueType.String) cursor.SkipString($"{what} element {i}");
                else ReadArray(file, ref cursor, $"{key}[{i}]", depth + 1);
            }
        }
        else throw cursor.Corrupt($"{what} has unknown element type {(uint)elementType}");
        return new(file, key, elementType, length, start);
    }

    public string AsString() => _string ?? throw WrongType("String");

    public bool AsBool() => Type == GgufValueType.Bool ? _integer != 0 : throw WrongType("Bool");

    /// <summary>Any integer kind whose value fits; GGUF writers differ in which width they use for a field.</summary>
    public long AsInt64() => AsInteger<long>();
    public ulong AsUInt64() => AsInteger<ulong>();
    public int AsInt32() => AsInteger<int>();
    public uint AsUInt32() => AsInteger<uint>();

    /// <summary>A Float32 value, or a Float64 narrowed to float.</summary>
    public float AsFloat32() => (float)AsFloat64();

    /// <summary>A Float32 or Float64 value.</summary>
    public double AsFloat64() => Type is GgufValueType.Float32 or GgufValueType.Float64 ? _float : throw WrongType("Float32 or Float64");

    /// <summary>An array of fixed-size elements whose kind matches <typeparamref name="T"/> exactly
    /// (e.g. float for Float32, int for Int32).</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        GgufValueType expected = GgufValueTypes.Of<T>();
        if (Type != GgufValueType.Array || ElementType != expected) throw WrongType($"array of {expected}");
        var result = new T[checked((int)Length)];
        var source = new ReadOnlySpan<byte>(_file.Pointer + _arrayOffset, checked((int)(Length * sizeof(T))));
        Span<byte> destination = MemoryMarshal.AsBytes(result.AsSpan());
        source.CopyTo(destination);
        if (typeof(T) == typeof(bool))
        {
            foreach (ref byte b in destination) b = b != 0 ? (byte)1 : (byte)0; // a bool must be exactly 0 or 1 in .NET
        }
        return result;
    }

    /// <summary>An array of strings, decoded into one exactly sized array.</summary>
    public string[] ToStringArray()
    {
        if (Type != GgufValueType.Array || ElementType != GgufValueType.String) throw WrongType("array of String");
        var result = new string[checked((int)Length)];
        var cursor = new GgufCursor(_file, _arrayOffset);
        for (int i = 0; i < result.Length; i++) result[i] = cursor.ReadString(Key);
        return result;
    }

    /// <summary>An array of arrays: each element as its own array value, keyed "key[i]".</summary>
    public GgufMetadataValue[] ToArrayOfArrays()
    {
        if (Type != GgufValueType.Array || ElementType != GgufValueType.Array) throw WrongType("array of Array");
        var result = new GgufMetadataValue[checked((int)Length)];
        var cursor = new GgufCursor(_file, _arrayOffset);
        for (int i = 0; i < result.Length; i++) result[i] = ReadArray(_file, ref cursor, $"{Key}[{i}]", 1);
        return result;
    }

    /// <summary>A short human-readable form: the value, or an array's element kind and length.</summary>
    public override string ToString() => Type switch
    {
        GgufValueType.String => _string!,
        GgufValueType.Array => $"[{ElementType} × {Length}]",
        GgufValueType.Bool => _integer != 0 ? "true" : "false",
        GgufValueType.Float32 or GgufValueType.Float64 => _float.ToString(CultureInfo.InvariantCulture),
        _ => _integer.ToString(CultureInfo.InvariantCulture),
    };

    private T AsInteger<T>() where T : IBinaryInteger<T>, IMinMaxValue<T>
    {
        if (!GgufValueTypes.IsInteger(Type)) throw WrongType("an integer");
        if (_integer < Int128.CreateTruncating(T.MinValue) || _integer > Int128.CreateTruncating(T.MaxValue))
            throw new ModelFormatException(_file.Path, $"metadata '{Key}' = {_integer} does not fit in {typeof(T).Name}");
        return T.CreateTruncating(_integer);
    }

    private ModelFormatException WrongType(string expected)
    {
        string actual = Type == GgufValueType.Array ? $"array of {ElementType}" : Type.ToString();
        return new ModelFormatException(_file.Path, $"metadata '{Key}' is {actual}, expected {expected}");
    }
}

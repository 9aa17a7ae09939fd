namespace PhiSharp.Formats.Gguf;

/// <summary>Kinds of GGUF metadata values, numbered as the file stores them.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

internal static class GgufValueTypes
{
    /// <summary>Byte size of a fixed-size value kind; 0 for strings and arrays.</summary>
    public static int FixedSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };

    public static bool IsInteger(GgufValueType type) => type is GgufValueType.UInt8 or GgufValueType.Int8
        or GgufValueType.UInt16 or GgufValueType.Int16 or GgufValueType.UInt32 or GgufValueType.Int32
        or GgufValueType.UInt64 or GgufValueType.Int64;

    public static bool IsSigned(GgufValueType type) =>
        type is GgufValueType.Int8 or GgufValueType.Int16 or GgufValueType.Int32 or GgufValueType.Int64;

    /// <summary>The value kind whose elements have the layout of <typeparamref name="T"/>.</summary>
    public static GgufValueType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(byte) ? GgufValueType.UInt8 :
        typeof(T) == typeof(sbyte) ? GgufValueType.Int8 :
        typeof(T) == typeof(ushort) ? GgufValueType.UInt16 :
        typeof(T) == typeof(short) ? GgufValueType.Int16 :
        typeof(T) == typeof(uint) ? GgufValueType.UInt32 :
        typeof(T) == typeof(int) ? GgufValueType.Int32 :
        typeof(T) == typeof(float) ? GgufValueType.Float32 :
        typeof(T) == typeof(bool) ? GgufValueType.Bool :
        typeof(T) == typeof(ulong) ? GgufValueType.UInt64 :
        typeof(T) == typeof(long) ? GgufValueType.Int64 :
        typeof(T) == typeof(double) ? GgufValueType.Float64 :
        throw new NotSupportedException($"{typeof(T).Name} is not a GGUF value type");
}

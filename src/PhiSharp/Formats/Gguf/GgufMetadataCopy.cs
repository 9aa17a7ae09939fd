namespace PhiSharp.Formats.Gguf;

/// <summary>Re-emits metadata read from one GGUF file into a <see cref="GgufWriter"/>, keeping each value's exact
/// GGUF type (so a copied file's header matches what llama.cpp's gguf_set_kv would write).</summary>
public static class GgufMetadataCopy
{
    public static void CopyTo(this GgufMetadataValue value, GgufWriter writer)
    {
        switch (value.Type)
        {
            case GgufValueType.UInt8: writer.AddMetadata(value.Key, (byte)value.AsUInt32()); break;
            case GgufValueType.Int8: writer.AddMetadata(value.Key, (sbyte)value.AsInt32()); break;
            case GgufValueType.UInt16: writer.AddMetadata(value.Key, (ushort)value.AsUInt32()); break;
            case GgufValueType.Int16: writer.AddMetadata(value.Key, (short)value.AsInt32()); break;
            case GgufValueType.UInt32: writer.AddMetadata(value.Key, value.AsUInt32()); break;
            case GgufValueType.Int32: writer.AddMetadata(value.Key, value.AsInt32()); break;
            case GgufValueType.UInt64: writer.AddMetadata(value.Key, value.AsUInt64()); break;
            case GgufValueType.Int64: writer.AddMetadata(value.Key, value.AsInt64()); break;
            case GgufValueType.Float32: writer.AddMetadata(value.Key, value.AsFloat32()); break;
            case GgufValueType.Float64: writer.AddMetadata(value.Key, value.AsFloat64()); break;
            case GgufValueType.Bool: writer.AddMetadata(value.Key, value.AsBool()); break;
            case GgufValueType.String: writer.AddMetadata(value.Key, value.AsString()); break;
            case GgufValueType.Array: writer.AddArray(value.Key, ArrayOf(value)); break;
            default: throw new NotSupportedException($"metadata '{value.Key}' has unknown type {(uint)value.Type}");
        }
    }

    static GgufArray ArrayOf(GgufMetadataValue value) => value.ElementType switch
    {
        GgufValueType.UInt8 => GgufArray.Of<byte>(value.ToArray<byte>()),
        GgufValueType.Int8 => GgufArray.Of<sbyte>(value.ToArray<sbyte>()),
        GgufValueType.UInt16 => GgufArray.Of<ushort>(value.ToArray<ushort>()),
        GgufValueType.Int16 => GgufArray.Of<short>(value.ToArray<short>()),
        GgufValueType.UInt32 => GgufArray.Of<uint>(value.ToArray<uint>()),
        GgufValueType.Int32 => GgufArray.Of<int>(value.ToArray<int>()),
        GgufValueType.UInt64 => GgufArray.Of<ulong>(value.ToArray<ulong>()),
        GgufValueType.Int64 => GgufArray.Of<long>(value.ToArray<long>()),
        GgufValueType.Float32 => GgufArray.Of<float>(value.ToArray<float>()),
        GgufValueType.Float64 => GgufArray.Of<double>(value.ToArray<double>()),
        GgufValueType.Bool => GgufArray.Of<bool>(value.ToArray<bool>()),
        GgufValueType.String => GgufArray.Of(value.ToStringArray()),
        GgufValueType.Array => GgufArray.Of(value.ToArrayOfArrays().Select(ArrayOf).ToArray()),
        _ => throw new NotSupportedException($"metadata '{value.Key}' has arrays of unknown type {(uint)value.ElementType}"),
    };
}

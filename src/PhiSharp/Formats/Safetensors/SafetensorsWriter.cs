using System.Text;
using System.Text.Json;

namespace PhiSharp.Formats.Safetensors;

/// <summary>A tensor to write: <paramref name="Shape"/> in PyTorch order, <paramref name="Data"/> its raw
/// little-endian bytes.</summary>
public sealed record SafetensorsTensorData(string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data);

/// <summary>Writes a .safetensors file as the safetensors library does: tensors packed in the given order, header
/// padded with spaces to a multiple of 8 bytes so the data section starts aligned.</summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IReadOnlyList<SafetensorsTensorData> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in tensors)
            {
                long expected = tensor.Shape.Aggregate((long)SafetensorsDTypes.ElementSize(tensor.DType), (p, d) => checked(p * d));
                if (expected != tensor.Data.Length)
                    throw new ArgumentException($"tensor '{tensor.Name}' should have {expected} bytes, has {tensor.Data.Length}", nameof(tensors));
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType.ToString());
                json.WriteStartArray("shape");
                foreach (long d in tensor.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.Data.Length;
            }
            json.WriteEndObject();
        }
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BitConverter.TryWriteBytes(length, (ulong)header.Length);
        stream.Write(length);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (var tensor in tensors) stream.Write(tensor.Data.Span);
    }

    /// <summary>Writes a model.safetensors.index.json mapping each tensor name to its shard file name.</summary>
    public static void WriteIndex(string path, IReadOnlyDictionary<string, string> weightMap)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("metadata");
        json.WriteEndObject();
        json.WriteStartObject("weight_map");
        foreach (var (name, shard) in weightMap) json.WriteString(name, shard);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}

using System.Runtime.InteropServices;

namespace PhiSharp.Formats.Onnx;

/// <summary>ONNX TensorProto.DataType values this reader hands out (others are kept as <see cref="Other"/>).</summary>
public enum OnnxDataType { Other = -1, Float = 1, Int32 = 6, Int64 = 7 }

/// <summary>An initializer or constant: <see cref="Dims"/> in ONNX (row-major, outermost first) order,
/// <see cref="Data"/> its little-endian bytes.</summary>
public sealed record OnnxTensor(string Name, OnnxDataType DataType, long[] Dims, ReadOnlyMemory<byte> Data)
{
    public long ElementCount => Dims.Aggregate(1L, (p, d) => p * d);

    public ReadOnlySpan<float> Floats => DataType == OnnxDataType.Float
        ? MemoryMarshal.Cast<byte, float>(Data.Span)
        : throw new InvalidOperationException($"tensor '{Name}' is {DataType}, not float");
}

/// <summary>One operator: its type ("MatMul", "Add", ...), the value names it reads and writes, and the tensor of
/// its "value" attribute (a Constant node's payload), if any.</summary>
public sealed record OnnxNode(string OpType, string[] Inputs, string[] Outputs, OnnxTensor? Value);

/// <summary>
/// The parts of an ONNX model's graph a weight reader needs: the nodes in order, and every constant tensor by name
/// (the graph's initializers and the payloads of its Constant nodes). Parsed from ModelProto's bytes (field numbers
/// from onnx.proto: ModelProto.graph = 7; GraphProto.node = 1, initializer = 5; NodeProto.input = 1, output = 2,
/// op_type = 4, attribute = 5; AttributeProto.name = 1, t = 5; TensorProto.dims = 1, data_type = 2,
/// float_data = 4, int32_data = 5, int64_data = 7, name = 8, raw_data = 9, data_location = 14).
/// </summary>
public sealed class OnnxGraph
{
    public required IReadOnlyList<OnnxNode> Nodes { get; init; }
    public required IReadOnlyDictionary<string, OnnxTensor> Constants { get; init; }

    /// <summary>Parses a whole .onnx file's bytes. Tensors keep slices of <paramref name="model"/>, so it must stay alive.</summary>
    public static OnnxGraph Read(ReadOnlyMemory<byte> model, string source)
    {
        var reader = new ProtobufReader(model, source);
        ReadOnlyMemory<byte>? graph = null;
        while (reader.TryReadKey(out int field, out var wire))
        {
            if (field == 7 && wire == WireType.LengthDelimited) graph = reader.ReadBytes();
            else reader.Skip(wire);
        }
        if (graph is not { } graphBytes) throw new ModelFormatException(source, "not an ONNX model: no graph (ModelProto field 7)");

        var nodes = new List<OnnxNode>();
        var constants = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var g = new ProtobufReader(graphBytes, source);
        while (g.TryReadKey(out int field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited) nodes.Add(ReadNode(g.ReadBytes(), source));
            else if (field == 5 && wire == WireType.LengthDelimited)
            {
                var tensor = ReadTensor(g.ReadBytes(), source);
                constants[tensor.Name] = tensor;
            }
            else g.Skip(wire);
        }
        foreach (var node in nodes)
            if (node.OpType == "Constant" && node.Value is { } value && node.Outputs.Length == 1)
                constants[node.Outputs[0]] = value with { Name = node.Outputs[0] };
        return new OnnxGraph { Nodes = nodes, Constants = constants };
    }

    static OnnxNode ReadNode(ReadOnlyMemory<byte> bytes, string source)
    {
        var r = new ProtobufReader(bytes, source);
        List<string> inputs = [], outputs = [];
        string op = "";
        OnnxTensor? value = null;
        while (r.TryReadKey(out int field, out var wire))
        {
            if (wire != WireType.LengthDelimited) { r.Skip(wire); continue; }
            switch (field)
            {
                case 1: inputs.Add(r.ReadString()); break;
                case 2: outputs.Add(r.ReadString()); break;
                case 4: op = r.ReadString(); break;
                case 5: value = ReadValueAttribute(r.ReadBytes(), source) ?? value; break;
                default: r.Skip(wire); break;
            }
        }
        return new OnnxNode(op, [.. inputs], [.. outputs], value);
    }

    // The tensor of an attribute named "value" (Constant's payload); null for any other attribute.
    static OnnxTensor? ReadValueAttribute(ReadOnlyMemory<byte> bytes, string source)
    {
        var r = new ProtobufReader(bytes, source);
        string name = "";
        OnnxTensor? tensor = null;
        while (r.TryReadKey(out int field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited) name = r.ReadString();
            else if (field == 5 && wire == WireType.LengthDelimited) tensor = ReadTensor(r.ReadBytes(), source);
            else r.Skip(wire);
        }
        return name == "value" ? tensor : null;
    }

    static OnnxTensor ReadTensor(ReadOnlyMemory<byte> bytes, string source)
    {
        var r = new ProtobufReader(bytes, source);
        var dims = new List<long>();
        List<long> int64s = [], int32s = [];
        int dataType = 0;
        string name = "";
        ReadOnlyMemory<byte>? raw = null, packedFloats = null;
        while (r.TryReadKey(out int field, out var wire))
        {
            switch (field)
            {
                case 1: r.ReadInt64s(wire, dims); break;
                case 2: dataType = (int)r.ReadInt64(); break;   // an unknown value is only OnnxDataType.Other
                case 4 when wire == WireType.LengthDelimited: packedFloats = r.ReadBytes(); break;
                case 5: r.ReadInt64s(wire, int32s); break;
                case 7: r.ReadInt64s(wire, int64s); break;
                case 8: name = r.ReadString(); break;
                case 9: raw = r.ReadBytes(); break;
                case 14 when r.ReadInt64() != 0:
                    throw new UnsupportedModelException(source, $"tensor '{name}' keeps its data in an external file, which is not supported");
                default: r.Skip(wire); break;
            }
        }
        var type = dataType switch { 1 => OnnxDataType.Float, 6 => OnnxDataType.Int32, 7 => OnnxDataType.Int64, _ => OnnxDataType.Other };
        // Small tensors may use the typed repeated fields instead of raw_data; they become raw little-endian bytes.
        var data = raw ?? packedFloats
            ?? (int64s.Count > 0 ? MemoryMarshal.AsBytes(int64s.ToArray().AsSpan()).ToArray()
            : int32s.Count > 0 ? MemoryMarshal.AsBytes(int32s.Select(v => (int)v).ToArray().AsSpan()).ToArray()
            : ReadOnlyMemory<byte>.Empty);
        var tensor = new OnnxTensor(name, type, [.. dims], data);
        int elementSize = type switch { OnnxDataType.Float or OnnxDataType.Int32 => 4, OnnxDataType.Int64 => 8, _ => 0 };
        if (elementSize > 0 && tensor.ElementCount * elementSize != data.Length)
            throw new ModelFormatException(source, $"tensor '{name}' has shape [{string.Join(", ", dims)}] but {data.Length} bytes of {type} data");
        return tensor;
    }
}

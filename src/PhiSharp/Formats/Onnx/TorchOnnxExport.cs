namespace PhiSharp.Formats.Onnx;

/// <summary>
/// A model's parameters under their PyTorch names, recovered from a float32 graph that torch.onnx.export wrote.
/// The exporter keeps the names of parameters it uses as they are (biases, LayerNorm weights, embedding tables),
/// but a Linear layer's weight becomes an anonymous constant ("927") holding its transpose, [in, out], read by a
/// MatMul whose product is then added to the layer's bias. So each such matrix is named after that bias
/// ("encoder.layer.0.attention.self.query.bias" gives "….query.weight") and transposed back to [out, in].
/// </summary>
public static class TorchOnnxExport
{
    /// <summary>Every named parameter and every recovered Linear weight, keyed by PyTorch name. A matrix whose
    /// product reaches no named bias is an error: a layer without a bias cannot be named this way.</summary>
    public static IReadOnlyDictionary<string, OnnxTensor> Parameters(OnnxGraph graph, string source)
    {
        var parameters = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in graph.Constants)
            if (IsParameterName(name) && tensor.DataType == OnnxDataType.Float) parameters[name] = tensor;

        var consumers = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
            foreach (string input in node.Inputs)
            {
                if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = [];
                list.Add(node);
            }

        foreach (var node in graph.Nodes)
        {
            if (node.OpType != "MatMul") continue;
            // Attention's products (activation × activation) have no constant operand.
            string? matrix = node.Inputs.FirstOrDefault(i => graph.Constants.TryGetValue(i, out var t) && t.Dims.Length == 2 && !IsParameterName(i));
            if (matrix is null) continue;
            string? bias = consumers.GetValueOrDefault(node.Outputs[0])?.Where(n => n.OpType == "Add")
                .SelectMany(n => n.Inputs).FirstOrDefault(i => i.EndsWith(".bias", StringComparison.Ordinal));
            if (bias is null)
                throw new ModelFormatException(source, $"the matrix '{matrix}' of a MatMul is added to no named bias, so its layer cannot be named");
            string weight = bias[..^".bias".Length] + ".weight";
            if (!parameters.TryAdd(weight, Transpose(graph.Constants[matrix], weight)))
                throw new ModelFormatException(source, $"two matrices ('{matrix}' and another) are added to the bias '{bias}'");
        }
        return parameters;
    }

    // torch.onnx.export names a parameter by its module path ("embeddings.LayerNorm.weight"); folded constants get numbers.
    static bool IsParameterName(string name) => name.EndsWith(".weight", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal);

    static OnnxTensor Transpose(OnnxTensor matrix, string name)
    {
        if (matrix.DataType != OnnxDataType.Float)
            throw new UnsupportedModelException(null, $"matrix '{matrix.Name}' is {matrix.DataType}; only float32 exports are supported");
        int rows = checked((int)matrix.Dims[0]), columns = checked((int)matrix.Dims[1]);
        var from = matrix.Floats;
        var bytes = new byte[matrix.Data.Length];
        var to = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                to[c * rows + r] = from[r * columns + c];
        return new OnnxTensor(name, OnnxDataType.Float, [columns, rows], bytes);
    }
}

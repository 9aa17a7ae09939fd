using PhiSharp.Compute;
using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Tensors;

namespace PhiSharp.Quantization;

/// <summary>How far <see cref="GgufQuantizer.Quantize"/> has got: reported after each tensor is written.</summary>
public sealed record QuantizeProgress(int TensorsDone, int TensorCount, string Name, GgmlType From, GgmlType To,
    long ElementsDone, long ElementsTotal);

/// <summary>What <see cref="GgufQuantizer.Quantize"/> wrote.</summary>
public sealed record QuantizeResult(string OutputPath, IReadOnlyList<TensorPlan> Tensors, long InputBytes, long OutputBytes);

/// <summary>
/// Writes a GGUF file in a <see cref="QuantizationScheme"/> from a GGUF file (any type PhiSharp reads: rows are
/// dequantized to float32, then quantized) or a Hugging Face folder of an architecture that converts (Phi-3; safetensors, converted on the way as
/// llama.cpp's convert_hf_to_gguf.py names and describes it). Tensor types follow llama.cpp's rules
/// (<see cref="TensorTypeRules"/>) and the encoders are ggml's reference quantizers, so for the same input the file
/// matches what llama.cpp's quantize writes without an importance matrix.
/// </summary>
public static class GgufQuantizer
{
    /// <summary>llama.cpp's GGML_QNT_VERSION, written as general.quantization_version.</summary>
    public const uint QuantizationVersion = 2;

    /// <summary>Quantizes <paramref name="inputPath"/> into <paramref name="outputPath"/>. The file appears only when
    /// complete (it is written beside the target and renamed).</summary>
    /// <param name="threads">Worker threads for the row encoders; 0 means one per processor.</param>
    /// <exception cref="ArgumentException">Bad paths or an unknown scheme.</exception>
    /// <exception cref="ModelFormatException">The input is not a model PhiSharp can read.</exception>
    public static QuantizeResult Quantize(string inputPath, string outputPath, QuantizationScheme scheme,
        IProgress<QuantizeProgress>? progress = null, int threads = 0, CancellationToken cancellation = default)
    {
        string output = Path.GetFullPath(outputPath);
        string? folder = Path.GetDirectoryName(output);
        if (folder is null || !Directory.Exists(folder))
            throw new ArgumentException($"the output folder '{folder}' does not exist");
        if (Directory.Exists(output)) throw new ArgumentException($"the output '{output}' is a folder");
        if (!File.Exists(inputPath) && !Directory.Exists(inputPath))
            throw new ArgumentException($"the input '{inputPath}' does not exist");
        if (File.Exists(inputPath) && Path.GetFullPath(inputPath) == output)
            throw new ArgumentException("the output must not be the input file");

        using IQuantizationSource source = Directory.Exists(inputPath)
            ? HfFolderSource.Open(inputPath)
            : new GgufSource(GgufFile.Open(inputPath, new TensorFileOptions { UseMemoryMap = true }));
        var plans = TensorTypeRules.Plan(source.Tensors, source.LayerCount, scheme);

        string partial = output + ".partial";
        try
        {
            using (var writer = new GgufWriter(partial))
            {
                source.WriteMetadata(writer, scheme);
                foreach (var plan in plans) writer.AddTensor(plan.Name, plan.TargetType, plan.Dims);

                long total = plans.Sum(p => p.Dims.Aggregate(1L, (a, d) => a * d)), done = 0;
                int parallelism = WorkerPool.ThreadsFor(threads);
                for (int i = 0; i < plans.Count; i++)
                {
                    cancellation.ThrowIfCancellationRequested();
                    TensorPlan plan = plans[i];
                    WeightTensor tensor = source.GetTensor(plan.Name);
                    writer.WriteTensorData(plan.Name, Encode(tensor, plan, parallelism, cancellation));
                    // Each input tensor is read once: drop its mapped pages, as llama.cpp unmaps each weight, so the
                    // resident set stays near one tensor instead of growing to the whole input file.
                    source.Release(plan.Name, tensor);
                    done += plan.Dims.Aggregate(1L, (a, d) => a * d);
                    progress?.Report(new QuantizeProgress(i + 1, plans.Count, plan.Name, plan.SourceType, plan.TargetType, done, total));
                }
                writer.Finish();
            }
            File.Move(partial, output, overwrite: true);
        }
        finally
        {
            if (File.Exists(partial)) File.Delete(partial);
        }
        return new QuantizeResult(output, plans, source.ByteCount, new FileInfo(output).Length);
    }

    /// <summary>The tensor's bytes in its target type: as stored when the type is unchanged (llama.cpp copies those),
    /// else each row widened to float32 and encoded, rows spread over the worker threads.</summary>
    static unsafe byte[] Encode(WeightTensor tensor, TensorPlan plan, int parallelism, CancellationToken cancellation)
    {
        if (plan.TargetType == tensor.Type) return tensor.Bytes.ToArray();
        if (!Tensors.Quantize.Supports(plan.TargetType))
            throw new NotSupportedException($"tensor '{plan.Name}': cannot encode {GgmlTypeInfo.Name(plan.TargetType)}");

        int rowLength = tensor.RowLength, rows = tensor.Rows;
        int sourceRowBytes = checked((int)GgmlTypeInfo.RowByteSize(tensor.Type, rowLength));
        int targetRowBytes = checked((int)GgmlTypeInfo.RowByteSize(plan.TargetType, rowLength));
        var encoded = new byte[checked((long)targetRowBytes * rows)];
        byte* data = tensor.Data;
        const int RowsPerChunk = 16;
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellation };
        Parallel.For(0, (rows + RowsPerChunk - 1) / RowsPerChunk, options, () => new float[rowLength], (chunk, _, row32) =>
        {
            for (int r = chunk * RowsPerChunk; r < Math.Min(rows, (chunk + 1) * RowsPerChunk); r++)
            {
                var source = new ReadOnlySpan<byte>(data + (long)r * sourceRowBytes, sourceRowBytes);
                Dequantize.Row(tensor.Type, source, row32);
                Tensors.Quantize.Row(plan.TargetType, row32, encoded.AsSpan(r * targetRowBytes, targetRowBytes));
            }
            return row32;
        }, _ => { });
        return encoded;
    }
}

// Weight bytes per second of the decode (1 token, or a step of a few sequences) quantized kernels, against a plain
// read of the same memory: where a kernel falls short of the read, generation is bound by the kernel, not by memory.
//     dotnet run -c Release bench/decode_kernels.cs -- [q4_k|q6_k|q4_0 = all] [rows = 16384] [matrices = 12] [runs = 40]
//         [tokens = 1] [threads = 1] [columns = 3072] [--subnormal-scales]
// Each type gets `matrices` random rows × columns matrices per thread (3072: most of Phi-3-mini's; 8192: its
// ffn_down; hundreds of MB: far beyond the caches; rows = 256 and matrices = 1 keep one in L2), laid out interleaved
// as in memory-loaded models, and `tokens` tokens of random activations. With threads = 2 both threads run their own
// matrices at once (as a decode step's pool threads do: memory bandwidth is shared). Time is a thread's CPU time
// (CLOCK_THREAD_CPUTIME_ID), of the slowest thread, best of `runs`, so that other processes preempting this one on a
// shared machine do not count; memory stalls do. Every x86 tier the CPU runs at 256 bits is measured; "ns/block" is
// one group block (8 rows × 32 or 256 weights) on one thread, all tokens. The fp16 block scales are 0.0625, or with
// --subnormal-scales 2^−15, as small as the Q6_K and 8192-column Q4_K scales of Phi-3-mini-shaped files: a kernel that
// let a subnormal reach float arithmetic ran far slower on them (HalfScales.ToSingle).
#:project ../src/PhiSharp/PhiSharp.csproj
#:property AllowUnsafeBlocks=true
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using PhiSharp.Kernels;
using PhiSharp.Kernels.Quantized;
using PhiSharp.Tensors;

bool subnormalScales = args.Contains("--subnormal-scales");
args = args.Where(a => a != "--subnormal-scales").ToArray();
string[] types = args.Length > 0 && args[0] != "all" ? [args[0]] : ["q4_k", "q6_k", "q4_0"];
int rows = args.Length > 1 ? int.Parse(args[1]) : 16384;
int matrices = args.Length > 2 ? int.Parse(args[2]) : 12;
int runs = args.Length > 3 ? int.Parse(args[3]) : 40;
int tokens = args.Length > 4 ? int.Parse(args[4]) : 1;
int threads = args.Length > 5 ? int.Parse(args[5]) : 1;
int columns = args.Length > 6 ? int.Parse(args[6]) : 3072;
foreach (string name in types) Measure(name);

unsafe void Measure(string name)
{
    var type = name switch { "q4_k" => GgmlType.Q4_K, "q6_k" => GgmlType.Q6_K, "q4_0" => GgmlType.Q4_0, _ => throw new ArgumentException($"{name}: q4_k, q6_k or q4_0") };
    int blockBytes = GgmlTypeInfo.BlockBytes(type), blockWeights = GgmlTypeInfo.BlockSize(type);
    long matrixBytes = (long)rows * columns / blockWeights * blockBytes, perThread = matrices * matrixBytes, total = threads * perThread;
    byte* data = (byte*)NativeMemory.AlignedAlloc((nuint)total, 2 << 20);
    Madvise(data, (nuint)total, 14); // MADV_HUGEPAGE, as the model loader asks
    var random = new Random(1);
    for (long done = 0; done < total; done += int.MaxValue)
        random.NextBytes(new Span<byte>(data + done, (int)Math.Min(int.MaxValue, total - done)));
    // Finite fp16 scales, normal (0.0625) or subnormal (2^−15): the codes and 6-bit sub-block scales may be anything.
    int scaleAt = type == GgmlType.Q6_K ? 208 : 0;
    ushort scale = subnormalScales ? (ushort)0x0200 : (ushort)0x2C00;
    for (long b = 0; b < total / blockBytes; b++)
    {
        var scales = (ushort*)(data + b * blockBytes + scaleAt);
        scales[0] = scale;
        if (type == GgmlType.Q4_K) scales[1] = scale;
    }
    for (int m = 0; m < threads * matrices; m++)
        InterleavedRows.Interleave(type, data + m * matrixBytes, rows, columns, WeightLayout.RowsInterleaved);

    var activations = new Q8Activations();
    var x = Enumerable.Range(0, tokens * columns).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    bool superBlocks = type != GgmlType.Q4_0;
    activations.Quantize(x, tokens, columns, superBlocks);
    // The pair layout of a decode step of 4–7 tokens (read by x86-avx512-avxvnni's Q4_0 tiles only), as MatMul makes it.
    int tokenPairs = InterleavedRows.TokenPairs(type, SimdTier.Avx512AvxVnni, tokens);
    if (tokenPairs > 0) activations.PairTokens(tokenPairs);
    var y = new float[threads * tokens * rows];
    long groupBytes = matrixBytes / (rows / InterleavedRows.Group);
    fixed (sbyte* values = activations.Values)
    fixed (float* scales = activations.Scales)
    fixed (int* sums = activations.Sums)
    fixed (int* lanes = activations.LaneOffsets)
    fixed (int* pairs = activations.PairSums)
    fixed (sbyte* pairValues = activations.TokenPairValues)
    fixed (float* pairScales = activations.TokenPairScales)
    fixed (int* pairSums = activations.TokenPairSumsTimes8)
    fixed (float* output = y)
    {
        var batch = new Q8Batch(values, scales, sums, lanes, pairs, columns, activations.ScalesPerToken, activations.SumsPerToken,
            new Q8TokenPairs(pairValues, pairScales, pairSums), tokenPairs);
        foreach (var tier in SimdTiers.Supported.Where(t => t is SimdTier.Avx2 or SimdTier.AvxVnni or SimdTier.Avx512 or SimdTier.Avx512AvxVnni))
        {
            double best = double.MaxValue;
            var times = new double[threads];
            using var barrier = new Barrier(threads);
            var batchCopy = batch;
            nint at = (nint)data, into = (nint)output;
            var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
            {
                var pass = new Pass(type, (byte*)at + i * perThread, matrices, matrixBytes, groupBytes, rows, columns, batchCopy, tokens,
                    (float*)into + i * tokens * rows);
                // A second of passes first, so that the kernels run their tier-1 code (calls and loops are counted first).
                for (var warm = System.Diagnostics.Stopwatch.StartNew(); warm.ElapsedMilliseconds < 1000;) tier.Run(ref pass);
                for (int r = 0; r < runs; r++)
                {
                    barrier.SignalAndWait();
                    double start = CpuSeconds();
                    tier.Run(ref pass);
                    times[i] = CpuSeconds() - start;
                    barrier.SignalAndWait();
                    if (i == 0) best = Math.Min(best, times.Max());
                }
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            long blocks = perThread / (groupBytes / (columns / blockWeights));
            Console.WriteLine($"{name} {tier.Name()} {tokens} token(s) {threads} thread(s): {total / best / 1e9:F1} GB/s of weights " +
                $"({total / 1e6:F0} MB in {best * 1e3:F2} ms; {best * 1e9 / blocks:F2} ns/block)");
        }
    }
    Console.WriteLine($"{name} plain read: {PlainRead(data, total, runs):F1} GB/s");
    NativeMemory.AlignedFree(data);
}

unsafe double PlainRead(byte* data, long total, int runs)
{
    double best = double.MaxValue;
    long checksum = 0;
    for (int r = 0; r < runs; r++)
    {
        double start = CpuSeconds();
        var p = (Vector256<long>*)data;
        Vector256<long> a = default, b = default, c = default, d = default;
        for (long i = 0; i + 4 <= total / 32; i += 4) { a += p[i]; b += p[i + 1]; c += p[i + 2]; d += p[i + 3]; }
        checksum += Vector256.Sum(a + b + c + d);
        best = Math.Min(best, CpuSeconds() - start);
    }
    GC.KeepAlive(checksum);
    return total / best / 1e9;
}

static double CpuSeconds()
{
    ClockGettime(3, out var t); // CLOCK_THREAD_CPUTIME_ID
    return t.Seconds + t.Nanoseconds * 1e-9;
}

[DllImport("libc", EntryPoint = "clock_gettime")]
static extern int ClockGettime(int clock, out Timespec time);

[DllImport("libc", EntryPoint = "madvise")]
static extern unsafe int Madvise(void* address, nuint length, int advice);

struct Timespec { public long Seconds, Nanoseconds; }

/// <summary>One pass over every matrix, all tokens, on this thread, at a tier's type.</summary>
unsafe struct Pass(GgmlType type, byte* data, int matrices, long matrixBytes, long groupBytes, int rows, int columns, Q8Batch batch, int tokens, float* y) : ITierWork
{
    public void Run<TTier>() where TTier : struct, ISimdTier
    {
        for (int m = 0; m < matrices; m++)
            InterleavedRows.DotGroups<TTier>(type, data + m * matrixBytes, groupBytes, 0, rows / InterleavedRows.Group, columns, batch, tokens, y, rows);
    }
}

using System.Globalization;
using System.Text;
using Interp.Autograd;
using Interp.Transformers;

namespace Interp.Analysis.Residual;

/// <summary>
/// What each stage of the residual stream predicts for the next token, and who wrote it, over a batch of sequences:
/// <see cref="LogProb"/> [stage, pos] is the mean log-probability of the true next token under the logit lens
/// (each accumulated residual through a freshly computed final LN and the unembedding) and <see cref="Dla"/>
/// [component, pos] the mean direct logit attribution of each component of the full decomposition (heads, MLPs,
/// embeddings, bias) to the true next token's logit, frozen final-LN scale. Position p predicts token p+1.
/// </summary>
public sealed record LensScan(IReadOnlyList<string> StageLabels, Tensor LogProb, IReadOnlyList<string> ComponentLabels, Tensor Dla, Tensor Tokens)
{
    /// <summary>tokens int32 [batch, pos] with pos ≥ 2.</summary>
    public static LensScan Run(HookedTransformer model, Tensor tokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Rank == 1) tokens = tokens.Unsqueeze(0);
        if (tokens.Rank != 2 || tokens.Size(1) < 2)
            throw new ArgumentException($"lens: tokens must be [batch, pos] with at least 2 positions, got {ShapeUtil.Format(tokens.ShapeArray)}");
        int pos = tokens.Size(1) - 1;
        var input = tokens.Narrow(1, 0, pos).Contiguous();
        var next = tokens.Narrow(1, 1, pos).Contiguous();
        var (_, rs) = ResidualStream.Run(model, input);
        using var _ = GradMode.NoGrad();
        var acc = rs.AccumulatedResid(inclMid: true);
        var logProbs = rs.LogitLens(acc).LogSoftmax(-1);                                        // [stage, batch, pos, vocab]
        var index = next.Unsqueeze(0).Unsqueeze(-1).Expand([acc.Count, next.Size(0), pos, 1]).To(logProbs.Device);
        var correct = logProbs.Gather(3, index).Squeeze(-1).Mean(1);                          // [stage, pos]
        var full = rs.FullResidDecomposition(applyLn: true);
        var dla = rs.LogitAttrs(full, next).Mean(1);                                           // [component, pos]
        return new LensScan(acc.Labels, correct.To(DType.Float64).To(Device.Cpu), full.Labels, dla.To(DType.Float64).To(Device.Cpu), tokens);
    }

    /// <summary>Stage label → mean log-prob over the positions from <paramref name="fromPos"/> on.</summary>
    public IReadOnlyList<(string Stage, double LogProb)> StageMeans(int fromPos = 0)
    {
        var v = LogProb.Narrow(1, fromPos, LogProb.Size(1) - fromPos).Mean(1).ToDoubleArray();
        return StageLabels.Select((s, i) => (s, v[i])).ToList();
    }

    /// <summary>Long-format CSV: kind (logprob|dla), label, pos, value.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("kind,label,pos,value\n");
        void Rows(string kind, IReadOnlyList<string> labels, Tensor t)
        {
            var v = t.ToDoubleArray();
            int n = t.Size(1);
            for (int i = 0; i < labels.Count; i++)
                for (int p = 0; p < n; p++) sb.Append(CultureInfo.InvariantCulture, $"{kind},{labels[i]},{p},{v[i * n + p]:G6}\n");
        }
        Rows("logprob", StageLabels, LogProb);
        Rows("dla", ComponentLabels, Dla);
        return sb.ToString();
    }
}

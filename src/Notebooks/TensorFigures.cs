using Interp.Analysis.Plot;

namespace Interp.Notebooks;

/// <summary>A 2-D tensor as a figure in one call, for a notebook cell: <c>scores.Heatmap("induction score")</c>.</summary>
public static class TensorFigures
{
    /// <summary>
    /// A <see cref="HeatmapFigure"/> of a [rows, columns] tensor: diverging around 0 when the values have both signs,
    /// sequential otherwise (<see cref="ColorScale.For"/>), rows and columns numbered unless axes are given.
    /// </summary>
    public static HeatmapFigure Heatmap(this Tensor values, string title = "", Axis? rows = null, Axis? columns = null, string valueLabel = "") =>
        new(title == "" ? $"tensor [{string.Join(", ", values.Shape)}]" : title, values) { Rows = rows, Columns = columns, ValueLabel = valueLabel };
}

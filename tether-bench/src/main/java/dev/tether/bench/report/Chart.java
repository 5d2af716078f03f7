package dev.tether.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A line chart written as a PNG with Java2D, so the bench needs no charting
 * library: one or more series of points, optional dashed reference lines (the
 * targets), numeric or labelled x ticks. Build, then {@link #writePng}. Not
 * thread safe.
 */
public final class Chart {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 520;
    private static final int LEFT = 90;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int BOTTOM = 70;
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b),
    };

    static {
        // Charts are drawn off screen; never reach for a display, also when mounted in the CLI.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private final List<Reference> references = new ArrayList<>();
    private List<Double> tickPositions;
    private List<String> tickLabels;

    private Chart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public static Chart create(String title, String xLabel, String yLabel) {
        return new Chart(title, xLabel, yLabel);
    }

    /** Adds a series; points are joined in the order given. */
    public Chart series(String name, List<Double> xs, List<Double> ys) {
        if (xs.size() != ys.size()) {
            throw new IllegalArgumentException("series " + name + " has " + xs.size() + " x values and "
                    + ys.size() + " y values");
        }
        series.add(new Series(name, List.copyOf(xs), List.copyOf(ys)));
        return this;
    }

    /** A dashed horizontal line, such as a target. */
    public Chart reference(String name, double y) {
        references.add(new Reference(name, y));
        return this;
    }

    /** Labelled x ticks (for categories such as percentiles) instead of numeric ones. */
    public Chart xTicks(List<Double> positions, List<String> labels) {
        if (positions.size() != labels.size()) {
            throw new IllegalArgumentException("x ticks: " + positions.size() + " positions, " + labels.size()
                    + " labels");
        }
        this.tickPositions = List.copyOf(positions);
        this.tickLabels = List.copyOf(labels);
        return this;
    }

    /** Draws the chart and writes it as a PNG, creating parent directories. */
    public Path writePng(Path file) throws IOException {
        BufferedImage image = render();
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        ImageIO.write(image, "png", file.toFile());
        return file;
    }

    BufferedImage render() {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            Bounds bounds = bounds();
            drawAxes(g, bounds);
            drawReferences(g, bounds);
            drawSeries(g, bounds);
            drawLegend(g);
        } finally {
            g.dispose();
        }
        return image;
    }

    private Bounds bounds() {
        double minX = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        double maxY = 0;
        for (Series s : series) {
            for (int i = 0; i < s.xs().size(); i++) {
                minX = Math.min(minX, s.xs().get(i));
                maxX = Math.max(maxX, s.xs().get(i));
                maxY = Math.max(maxY, s.ys().get(i));
            }
        }
        if (tickPositions != null) {
            for (double x : tickPositions) {
                minX = Math.min(minX, x);
                maxX = Math.max(maxX, x);
            }
        }
        for (Reference r : references) {
            maxY = Math.max(maxY, r.y());
        }
        if (minX == Double.MAX_VALUE) {
            minX = 0;
            maxX = 1;
        }
        if (tickPositions == null) {
            minX = Math.min(0, minX);
        }
        if (maxX <= minX) {
            maxX = minX + 1;
        }
        return new Bounds(minX, maxX, niceCeiling(maxY <= 0 ? 1 : maxY * 1.1));
    }

    private void drawAxes(Graphics2D g, Bounds b) {
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.setColor(Color.BLACK);
        centred(g, title, WIDTH / 2, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int x0 = LEFT;
        int y0 = HEIGHT - BOTTOM;
        g.drawLine(x0, y0, WIDTH - RIGHT, y0);
        g.drawLine(x0, y0, x0, TOP);
        for (int i = 0; i <= 5; i++) {
            double y = b.maxY() * i / 5;
            int py = py(b, y);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(x0 + 1, py, WIDTH - RIGHT, py);
            g.setColor(Color.BLACK);
            String label = format(y);
            g.drawString(label, x0 - 8 - g.getFontMetrics().stringWidth(label), py + 4);
        }
        List<Double> positions = tickPositions != null ? tickPositions : numericTicks(b);
        for (int i = 0; i < positions.size(); i++) {
            int px = px(b, positions.get(i));
            g.drawLine(px, y0, px, y0 + 5);
            String label = tickLabels != null ? tickLabels.get(i) : format(positions.get(i));
            centred(g, label, px, y0 + 20);
        }
        centred(g, xLabel, (LEFT + WIDTH - RIGHT) / 2, HEIGHT - 25);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        centred(rotated, yLabel, -(TOP + HEIGHT - BOTTOM) / 2, 22);
        rotated.dispose();
    }

    private void drawReferences(Graphics2D g, Bounds b) {
        Stroke dashed = new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                new float[] {8f, 6f}, 0f);
        Stroke old = g.getStroke();
        g.setStroke(dashed);
        g.setColor(Color.GRAY);
        for (Reference r : references) {
            int py = py(b, r.y());
            g.drawLine(LEFT, py, WIDTH - RIGHT, py);
            g.drawString(r.name(), WIDTH - RIGHT - 6 - g.getFontMetrics().stringWidth(r.name()), py - 4);
        }
        g.setStroke(old);
    }

    private void drawSeries(Graphics2D g, Bounds b) {
        g.setStroke(new BasicStroke(2.2f));
        for (int s = 0; s < series.size(); s++) {
            Series line = series.get(s);
            g.setColor(PALETTE[s % PALETTE.length]);
            int prevX = -1;
            int prevY = -1;
            for (int i = 0; i < line.xs().size(); i++) {
                int px = px(b, line.xs().get(i));
                int py = py(b, line.ys().get(i));
                if (i > 0) {
                    g.drawLine(prevX, prevY, px, py);
                }
                g.fillOval(px - 4, py - 4, 8, 8);
                prevX = px;
                prevY = py;
            }
        }
    }

    private void drawLegend(Graphics2D g) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int y = TOP + 8;
        for (int s = 0; s < series.size(); s++) {
            g.setColor(PALETTE[s % PALETTE.length]);
            g.fillRect(LEFT + 16, y - 9, 14, 10);
            g.setColor(Color.BLACK);
            g.drawString(series.get(s).name(), LEFT + 36, y);
            y += 18;
        }
    }

    private static List<Double> numericTicks(Bounds b) {
        double step = niceCeiling((b.maxX() - b.minX()) / 6);
        List<Double> ticks = new ArrayList<>();
        for (double x = Math.ceil(b.minX() / step) * step; x <= b.maxX() + step / 1e6; x += step) {
            ticks.add(x);
        }
        return ticks;
    }

    /** The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is at least {@code value}. */
    static double niceCeiling(double value) {
        double power = Math.pow(10, Math.floor(Math.log10(value)));
        for (double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
            if (m * power >= value - 1e-12 * power) {
                return m * power;
            }
        }
        return 10 * power;
    }

    private static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.format(Locale.ROOT, "%,d", (long) v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 10 ? "%,.1f" : "%.2f", v);
    }

    private static int px(Bounds b, double x) {
        return LEFT + (int) Math.round((x - b.minX()) / (b.maxX() - b.minX()) * (WIDTH - LEFT - RIGHT - 20)) + 10;
    }

    private static int py(Bounds b, double y) {
        return HEIGHT - BOTTOM - (int) Math.round(y / b.maxY() * (HEIGHT - TOP - BOTTOM));
    }

    private static void centred(Graphics2D g, String text, int x, int y) {
        FontMetrics metrics = g.getFontMetrics();
        g.drawString(text, x - metrics.stringWidth(text) / 2, y);
    }

    private record Series(String name, List<Double> xs, List<Double> ys) {
    }

    private record Reference(String name, double y) {
    }

    private record Bounds(double minX, double maxX, double maxY) {
    }
}

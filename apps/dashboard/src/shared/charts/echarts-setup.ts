// ECharts, loaded only by pages that draw a chart (its own chunk): the parts the dashboard uses, and its
// Chinese locale (ZH) beside the built-in English one.
import * as echarts from 'echarts/core';
import { BarChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, AriaComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import langZH from 'echarts/i18n/langZH-obj.js';

echarts.use([
  BarChart,
  PieChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  AriaComponent,
  CanvasRenderer,
]);
echarts.registerLocale('ZH', langZH);

export { echarts };

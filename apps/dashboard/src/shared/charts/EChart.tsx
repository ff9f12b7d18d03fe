import { useEffect, useRef } from 'react';
import type { EChartsCoreOption } from 'echarts/core';
import { echarts } from './echarts-setup';
import { useI18n } from '../../i18n/I18nProvider';

/** One ECharts chart, sized by its container, redrawn when the option or the language changes. */
export default function EChart({
  option,
  height = 260,
  label,
}: {
  option: EChartsCoreOption;
  height?: number;
  label: string;
}) {
  const element = useRef<HTMLDivElement>(null);
  const { locale } = useI18n();
  useEffect(() => {
    if (!element.current) return;
    const chart = echarts.init(element.current, undefined, { locale: locale === 'zh-CN' ? 'ZH' : 'EN' });
    chart.setOption({ aria: { enabled: true }, ...option });
    const resize = new ResizeObserver(() => chart.resize());
    resize.observe(element.current);
    return () => {
      resize.disconnect();
      chart.dispose();
    };
  }, [option, locale]);
  return (
    <div ref={element} role="img" aria-label={label} style={{ width: '100%', height }} data-testid="chart" />
  );
}

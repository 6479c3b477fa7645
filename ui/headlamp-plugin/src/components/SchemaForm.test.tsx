import { fireEvent, render, screen } from '@testing-library/react';
import React from 'react';
import { fieldKind, fieldValue, SchemaForm } from './SchemaForm';

const schema = {
  properties: {
    message: {
      anyOf: [{ type: 'string', maxLength: 256 }, { type: 'null' }],
      description: 'Free text',
      title: 'Message',
    },
    retention_days: { type: 'integer', description: 'Days kept' },
    format: { enum: ['csv', 'jsonl'], type: 'string' },
    dry: { type: 'boolean' },
    password: { anyOf: [{ $ref: '#/$defs/SecretRef' }, { type: 'string' }] },
  },
  required: ['retention_days'],
};

describe('the form of a JSON Schema', () => {
  it('picks a field for each kind of property', () => {
    const p = schema.properties;
    expect(fieldKind(p.message)).toBe('text');
    expect(fieldKind(p.retention_days)).toBe('integer');
    expect(fieldKind(p.format)).toBe('choice');
    expect(fieldKind(p.dry)).toBe('boolean');
    expect(fieldKind(p.password)).toBe('json');
  });

  it('reads values from text, and names text that is none', () => {
    expect(fieldValue('integer', '7')).toBe(7);
    expect(fieldValue('integer', '7.5')).toBeInstanceOf(Error);
    expect(fieldValue('json', '{"secretRef": {"name": "a", "key": "b"}}')).toEqual({
      secretRef: { name: 'a', key: 'b' },
    });
    expect(fieldValue('json', '{')).toBeInstanceOf(Error);
    expect(fieldValue('text', '  ')).toBeUndefined();
    expect(fieldValue('boolean', 'false')).toBe(false);
  });

  it('reports values as typed, and shows the webhook message at its field', () => {
    const changes: unknown[] = [];
    render(
      <SchemaForm
        idPrefix="p"
        schema={schema}
        value={{}}
        onChange={(value, invalid) => changes.push([value, invalid])}
        problems={[
          { field: 'spec.parameters.retention_days', message: '0 is less than the minimum of 1' },
        ]}
      />
    );
    const field = screen.getByLabelText(/retention_days \(required\)/);
    const describedBy = document.getElementById(field.getAttribute('aria-describedby') ?? '');
    expect(describedBy?.textContent).toMatch(/0 is less than the minimum of 1/);
    fireEvent.change(screen.getByLabelText(/retention_days/), { target: { value: '30' } });
    fireEvent.change(screen.getByLabelText(/Message/), { target: { value: 'hello' } });
    expect(changes).toEqual([
      [{ retention_days: 30 }, []],
      [{ message: 'hello' }, []],
    ]);
  });
});

"""The shop's order database: customers, sellers, products, orders, shipments, claims, audit.

Timestamps are naive UTC (see bot.db.utcnow); order numbers are 14-digit strings
(order date YYYYMMDD + 6-digit sequence).
"""
from __future__ import annotations

import enum

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import relationship

from bot.db import Base, utcnow


class Status(str, enum.Enum):
    PAID = "PAID"
    PREPARING = "PREPARING"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    RETURN_REQUESTED = "RETURN_REQUESTED"
    EXCHANGE_REQUESTED = "EXCHANGE_REQUESTED"
    REFUNDED = "REFUNDED"


STATUS_LABELS = {
    Status.PAID: "결제완료",
    Status.PREPARING: "상품준비중",
    Status.SHIPPED: "배송중",
    Status.DELIVERED: "배송완료",
    Status.CONFIRMED: "구매확정",
    Status.CANCELLED: "취소완료",
    Status.CANCEL_REQUESTED: "취소요청(판매자 확인 중)",
    Status.RETURN_REQUESTED: "반품요청",
    Status.EXCHANGE_REQUESTED: "교환요청",
    Status.REFUNDED: "환불완료",
}

PAYMENT_LABELS = {
    "card": "신용카드",
    "bank_transfer": "계좌이체",
    "kakaopay": "카카오페이",
    "naverpay": "네이버페이",
}


class Customer(Base):
    __tablename__ = "customers"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False)
    phone = Column(String(20), nullable=False)
    email = Column(String(120), nullable=False)
    address = Column(String(200), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class Seller(Base):
    __tablename__ = "sellers"
    id = Column(Integer, primary_key=True)
    name = Column(String(80), nullable=False)  # store name shown to customers
    contact_phone = Column(String(20), nullable=False)
    # Round-trip shipping fee deducted on a change-of-mind return.
    return_shipping_fee = Column(Integer, nullable=False, default=6000)


class Product(Base):
    __tablename__ = "products"
    id = Column(Integer, primary_key=True)
    seller_id = Column(Integer, ForeignKey("sellers.id"), nullable=False, index=True)
    name = Column(String(120), nullable=False)
    price = Column(Integer, nullable=False)
    seller = relationship("Seller")


class Order(Base):
    __tablename__ = "orders"
    id = Column(String(14), primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=True, index=True)  # NULL: guest order
    seller_id = Column(Integer, ForeignKey("sellers.id"), nullable=False, index=True)
    orderer_name = Column(String(50), nullable=False)
    orderer_phone = Column(String(20), nullable=False)
    status = Column(String(24), nullable=False, index=True)
    total_amount = Column(Integer, nullable=False)
    shipping_fee = Column(Integer, nullable=False, default=0)
    payment_method = Column(String(20), nullable=False, default="card")
    recipient_name = Column(String(50), nullable=False)
    shipping_address = Column(String(200), nullable=False)
    ordered_at = Column(DateTime, nullable=False)
    delivered_at = Column(DateTime, nullable=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    customer = relationship("Customer")
    seller = relationship("Seller")
    items = relationship("OrderItem", back_populates="order", order_by="OrderItem.id")
    shipment = relationship("Shipment", back_populates="order", uselist=False)
    claims = relationship("Claim", back_populates="order", order_by="Claim.id")

    @property
    def status_enum(self) -> Status:
        return Status(self.status)

    @property
    def title(self) -> str:
        """「무선 이어폰 외 1건」"""
        if not self.items:
            return "주문 상품"
        first = self.items[0].product_name
        return first if len(self.items) == 1 else f"{first} 외 {len(self.items) - 1}건"


class OrderItem(Base):
    __tablename__ = "order_items"
    id = Column(Integer, primary_key=True)
    order_id = Column(String(14), ForeignKey("orders.id"), nullable=False, index=True)
    product_id = Column(Integer, ForeignKey("products.id"), nullable=False)
    product_name = Column(String(120), nullable=False)
    quantity = Column(Integer, nullable=False, default=1)
    unit_price = Column(Integer, nullable=False)
    order = relationship("Order", back_populates="items")
    product = relationship("Product")


class Shipment(Base):
    __tablename__ = "shipments"
    id = Column(Integer, primary_key=True)
    order_id = Column(String(14), ForeignKey("orders.id"), nullable=False, unique=True)
    carrier = Column(String(30), nullable=False)
    carrier_phone = Column(String(20), nullable=False)
    tracking_number = Column(String(30), nullable=False)
    shipped_at = Column(DateTime, nullable=False)
    order = relationship("Order", back_populates="shipment")
    events = relationship("TrackingEvent", back_populates="shipment", order_by="TrackingEvent.occurred_at")


class TrackingEvent(Base):
    __tablename__ = "tracking_events"
    id = Column(Integer, primary_key=True)
    shipment_id = Column(Integer, ForeignKey("shipments.id"), nullable=False, index=True)
    occurred_at = Column(DateTime, nullable=False)
    location = Column(String(80), nullable=False)
    description = Column(String(120), nullable=False)
    shipment = relationship("Shipment", back_populates="events")


class Claim(Base):
    """A cancel / return / exchange / address-change request and its refund."""

    __tablename__ = "claims"
    id = Column(Integer, primary_key=True)
    claim_no = Column(String(24), nullable=False, unique=True)  # e.g. R-20261126-0007
    order_id = Column(String(14), ForeignKey("orders.id"), nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # cancel | return | exchange | address
    # requested | approved | rejected | collected | refunded | completed
    status = Column(String(16), nullable=False)
    reason = Column(String(20), nullable=True)  # change_of_mind | defect | wrong_item
    detail = Column(Text, nullable=True)
    fee = Column(Integer, nullable=False, default=0)
    refund_amount = Column(Integer, nullable=False, default=0)
    expected_refund_date = Column(Date, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    order = relationship("Order", back_populates="claims")


class AuditLog(Base):
    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    order_id = Column(String(14), ForeignKey("orders.id"), nullable=False, index=True)
    action = Column(String(40), nullable=False)  # e.g. cancel, cancel_request, return_request
    actor = Column(String(60), nullable=False)  # customer:3 | guest | seller:2 | agent:1
    conversation_id = Column(String(64), nullable=True)
    before = Column(JSON, nullable=True)
    after = Column(JSON, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
